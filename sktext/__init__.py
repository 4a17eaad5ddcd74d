"""sktext: a scikit-learn text classifier trained with PyTorch, at fastText speed."""

from .classifier import TextClassifier

__all__ = ["TextClassifier", "__version__"]
__version__ = "0.1.0"
