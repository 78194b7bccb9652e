"""Network builders: shapes for 28x28x1 and general HxWxC, and clear errors."""

import pytest

from keras_gen.models import networks


@pytest.mark.parametrize("shape", [(28, 28, 1), (32, 48, 3)])
def test_conv_encoder_and_decoder_shapes(shape):
    enc = networks.conv_encoder(shape, 10)
    dec = networks.conv_decoder(10, shape)
    assert enc.output_shape == (None, 10)
    assert dec.output_shape == (None, *shape)


def test_mlp_builders_shapes():
    assert networks.mlp_encoder((28, 28, 1), 7).output_shape == (None, 7)
    assert networks.mlp_decoder(7, (28, 28, 1)).output_shape == (None, 28, 28, 1)
    assert networks.mlp_generator(100, (784,)).output_shape == (None, 784)
    assert networks.mlp_discriminator((784,)).output_shape == (None, 1)
    assert networks.conv_generator(64, (28, 28, 1)).output_shape == (None, 28, 28, 1)
    assert networks.conv_discriminator((28, 28, 1)).output_shape == (None, 1)


def test_conv_builders_reject_indivisible_sizes():
    with pytest.raises(ValueError, match="divisible by 2\\*\\*2=4"):
        networks.conv_encoder((30, 30, 1), 8)


def test_builders_reject_bad_sizes():
    with pytest.raises(ValueError, match="output_dim must be a positive integer"):
        networks.mlp_encoder((4,), 0)
    with pytest.raises(ValueError, match="input_shape"):
        networks.mlp_encoder((0, 3), 2)
