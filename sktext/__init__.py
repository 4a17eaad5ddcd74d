"""sktext: a scikit-learn text classifier trained with PyTorch, at fastText speed."""

from .classifier import TextClassifier, load
from .tuner import TextClassifierCV

__all__ = ["TextClassifier", "TextClassifierCV", "load", "__version__"]
__version__ = "0.1.0"
