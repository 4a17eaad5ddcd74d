"""sktext: a scikit-learn text classifier trained with PyTorch, at fastText speed."""

from .classifier import TextClassifier, load

__all__ = ["TextClassifier", "load", "__version__"]
__version__ = "0.1.0"
