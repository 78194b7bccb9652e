"""`Conditional`: the mixin of models conditioned on a class label in every verb
(re-exported by `keras_gen.models.base`, where it was first defined)."""


class Conditional:
    """Mixin of models conditioned on a class label in every verb (`call`,
    `encode`, `sample`): `ConditionalGAN`, `CVAE`."""

    takes_labels = True

    def call_inputs(self, x, labels=None):
        return (x, labels)

    def split_call_inputs(self, inputs, where):
        """`(x, labels)` of what `call` got, or a `ValueError` naming both."""
        if not isinstance(inputs, list | tuple) or len(inputs) != 2:
            raise ValueError(
                f"{type(self).__name__}.{where} takes (x, labels), got "
                f"{type(inputs).__name__}."
            )
        return inputs

    def _set_classes(self, num_classes):
        self.num_classes = self._checked_num_classes(num_classes)
