"""What each measured number means: the descriptions the model cards print."""

AUTOENCODER_DOCS = {
    "loss": "reconstruction negative log-likelihood, nats per image",
    "bce": "binary cross-entropy summed over the pixels, nats per image",
    "mse": "squared error averaged over the pixels (x 784 for per image)",
}
METRIC_DOCS = {
    "losses": {
        "loss": "cross-entropy of the true label, nats per image",
        "accuracy": "fraction of images whose most probable class is the label",
    },
    "reconstruction": AUTOENCODER_DOCS,
    "likelihood": {
        "loss": "-ELBO (reconstruction + beta * KL), nats per image",
        "reconstruction": "-log p(x|z) at one posterior sample, nats per image",
        "kl": "KL(q(z|x) || p(z)), nats per image",
        "elbo": "evidence lower bound, nats per image (one posterior sample)",
        "nll": "-log p(x) by importance sampling, nats per image",
    },
    "samples": {
        "parzen_log_likelihood": "mean log p(x) of the test images under a "
        "Gaussian Parzen window on the samples, nats (higher is better; the 2014 "
        "paper: 225 +- 2)",
        "parzen_sigma": "kernel width, chosen on the validation images",
        "parzen_std_error": "std / sqrt(test images) of the log-likelihoods",
        "fid": "Frechet distance of mnist_classifier features, samples vs test "
        "images (lower is better; not comparable with InceptionV3 FIDs)",
        "inception_score": "exp E KL(p(y|x) || p(y)) on mnist_classifier "
        "posteriors, 10 splits (10 at most)",
        "min_class_fraction": "smallest share of samples the classifier puts in "
        "one digit class",
        "max_class_fraction": "largest share of samples in one digit class",
        "label_accuracy": "share of samples the classifier assigns to the label "
        "they were generated for",
    },
    "clusters": {
        "accuracy": "clustering accuracy, best one-to-one cluster-label map",
        "nmi": "normalized mutual information of clusters and labels",
        "ari": "adjusted Rand index of clusters and labels",
    },
    "prior_fit": {
        "prior_mmd2": "unbiased MMD^2 of 5,000 test codes vs 5,000 prior samples, "
        "Gaussian kernel of width mmd_bandwidth (median heuristic)",
        "prior_mmd2_floor": "the same MMD^2 between two independent prior samples "
        "(what a perfect match gives)",
        "prior_ks_max": "largest per-axis Kolmogorov-Smirnov statistic, codes vs "
        "prior samples",
        "mmd_bandwidth": "kernel width of the MMD",
    },
    "named_clusters": {
        "paper_rule_error": "test error when each cluster is named after the label "
        "of the training image with the largest q(y=k|x) (Makhzani et al.)",
        "paper_rule_accuracy": "1 - paper_rule_error",
    },
    "classes": {
        "accuracy": "test accuracy of argmax q(y|x)",
        "error": "test classification error of argmax q(y|x) (1 - accuracy)",
    },
}
# Loss terms of a family beyond its capability's, by class name (subclasses
# inherit them); a family missing here prints its capability's descriptions.
TERM_DOCS = {
    "DeepClustering": {
        "loss": "reconstruction NLL + clustering_weight x cluster, per image",
        "cluster": "squared distance of the code to its centroid, per image",
    },
    "ContractiveAutoencoder": {
        "contraction": "squared Frobenius norm of the encoder Jacobian, per image",
    },
    "AAE": {
        "reconstruction": "reconstruction NLL at the posterior mean (Bernoulli: "
        "binary cross-entropy), nats per image",
    },
    "SemiSupervisedAAE": {
        "reconstruction": "reconstruction NLL from q(y|x) and z, nats per image",
        "classification": "cross-entropy of q(y|x) on the labelled images",
    },
    "StochasticContractiveAutoencoder": {
        "contraction": "stochastic estimate of the squared Jacobian norm, per image",
    },
}
