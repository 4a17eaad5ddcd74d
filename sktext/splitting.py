"""Text to base tokens: the side of tokenization that reads characters.

Texts first pass through :func:`prepare`: an optional ``preprocessor``, then
Unicode normalisation (``normalize_unicode``: NFC by default, so that
"naïve" written with a combining diaeresis (U+0308) is the same text as with
a precomposed "ï"; NFKC also folds compatibility forms such as the "ﬁ"
ligature and full-width letters),
then accent stripping. A *splitter* then turns them into base-token ids
(:class:`BaseTokens`), from which :mod:`sktext.tokenizer` forms word and
character n-grams and counts features. There is one splitter class a kind of
tokenizer, chosen once from :data:`SPLITTERS`:

- ``"words"`` (:class:`WordSplitter`): the words of the rules below,
  lowercased if asked; it learns a vocabulary of those seen ``min_count``
  times.
- ``"hash"`` (:class:`HashSplitter`): the same words, each hashed (64-bit
  BLAKE2b) into ``n_buckets`` rows, so there is nothing to learn.
- ``"wordpiece"`` (:class:`WordPieceSplitter`): subwords of a WordPiece
  vocabulary trained with the ``tokenizers`` library and encoded with its
  multi-threaded batch encoder.
- ``"pretrained"`` (:class:`PretrainedSplitter`): the tokens of a given
  Hugging Face tokenizer, used as is.

Lowercasing belongs to the splitter: the regex splitters lowercase the text,
WordPiece's normalizer does it itself, a pretrained tokenizer keeps its own
rules. The WordPiece and pretrained splitters get normalised texts but split
them as their ``tokenizers`` pre-tokenizer does.

Words (``kind="words"`` and ``"hash"``), rules version 3 (:data:`WORD_RULES`):

- a word is a run of word characters (``\\w``) and combining marks (Unicode
  categories Mn, Mc, Me) that begins with a word character, so a decomposed
  accent, a Devanagari vowel sign ("कमी" is not "कम") or Arabic harakat
  ("كَتَبَ") stay inside their word;
- each Chinese or Japanese character (ideographs and kana) is a token of its
  own, with the marks that follow it: these scripts write words without
  spaces, and word bigrams then pair adjacent characters, much like words;
- each emoji or other symbol (category So) is a token of its own, with what
  attaches to it: variation selectors and other marks, skin-tone modifiers,
  tag characters, and further symbols joined by ZERO WIDTH JOINER, so that
  "👍🏽" or a family "👨‍👩‍👧" is one token; two regional indicators make one
  flag;
- each question or exclamation mark (:data:`TOKEN_MARKS`: "?", "!", "¿",
  "¡", "؟", "？", "‽" and their kin) is a token of its own: what a sentence
  asks or exclaims tells question types and sentiment apart (TREC-6 gained
  0.5 points of accuracy, no shared set lost more than 0.03:
  benchmarks/RESULTS.md, "Punctuation tokens"), while other punctuation,
  mostly formatting in long documents, cost 20 Newsgroups 0.9 points;
- everything else (spaces, other punctuation, other symbols, marks with no
  word before them) separates tokens.

Rules version 2 (:data:`UNICODE_WORD_RULES`), those of models saved before
version 3 existed, which keep them: the same without the question and
exclamation marks, which separate tokens.

Rules version 1 (:data:`LEGACY_WORD_RULES`), those of every model saved
before version 2 existed, which keep them: words are ``\\w+`` runs, CJK
characters one by one, and anything else, emoji included, is dropped; texts
are not normalised.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .charclasses import MARKS_ASTRAL, MARKS_BMP, SYMBOLS_ASTRAL, SYMBOLS_BMP

__all__ = [
    "BUILT_IN",
    "CJK_RANGES",
    "LEGACY_WORD_RULES",
    "NORMALIZATION_FORMS",
    "SPLITTERS",
    "TOKEN_MARKS",
    "UNICODE_WORD_RULES",
    "WORD_RULES",
    "BaseTokens",
    "SplitOptions",
    "Splitter",
    "ordered_vocabulary",
    "prepare",
    "resolve_tokenizer",
]

BUILT_IN = ("words", "wordpiece", "hash")
NORMALIZATION_FORMS = ("NFC", "NFKC", None)
LEGACY_WORD_RULES = 1  # the rules of models saved before version 2
UNICODE_WORD_RULES = 2  # the rules of models saved before version 3
WORD_RULES = 3  # the rules of new models
#: The punctuation marks that are tokens of their own in rules version 3:
#: question and exclamation marks (ASCII, inverted, Armenian, Arabic,
#: Ethiopic, doubled and interrobang, small and full-width forms), which the
#: compiled tokenizer (:mod:`sktext.compiled`) reads too.
TOKEN_MARKS = "!?\u00a1\u00bf\u055c\u055e\u061f\u1367\u203c\u203d\u2047\u2048\u2049" + (
    "\ufe15\ufe16\ufe56\ufe57\uff01\uff1f"
)

_WORD = re.compile(r"\w+")
# Chinese and Japanese write words without spaces, so ``\w+`` would make a
# whole sentence one token. Their ideographs and kana become one token each
# instead; word bigrams then pair adjacent characters, much like words.
#: ``(first, last)`` code points of those characters, which the compiled
#: tokenizer (:mod:`sktext.compiled`) reads too.
CJK_RANGES = ((0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))
_CJK = "".join(f"{chr(first)}-{chr(last)}" for first, last in CJK_RANGES)
_HAS_CJK = re.compile(f"[{_CJK}]")
_WORD_OR_CJK = re.compile(rf"[{_CJK}]|(?:(?![{_CJK}])\w)+")

# Every ASCII character that ``\w`` does not match, mapped to a space.
_ASCII_NON_WORD = str.maketrans(
    {chr(i): " " for i in range(128) if not (chr(i).isalnum() or chr(i) == "_")}
)
# The same, but the ASCII marks of TOKEN_MARKS become words of their own.
_ASCII_NON_WORD_MARKS = str.maketrans(
    {
        chr(i): f" {chr(i)} " if chr(i) in TOKEN_MARKS else " "
        for i in range(128)
        if not (chr(i).isalnum() or chr(i) == "_")
    }
)


def _legacy_words(text: str) -> list[str]:
    """The words of rules version 1: the ``\\w+`` runs of ``text``, CJK
    characters one by one. On ASCII text (most of it in practice)
    ``translate`` + ``split`` finds exactly the same runs twice as fast as the
    regular expression, which is the hottest line of tokenization."""
    if text.isascii():
        return text.translate(_ASCII_NON_WORD).split()
    if _HAS_CJK.search(text) is None:
        return _WORD.findall(text)
    return _WORD_OR_CJK.findall(text)


@functools.cache
def _word_patterns(rules: int = WORD_RULES) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """``(special, token)`` of rules version 2 or 3: ``special`` finds a
    character that makes the words differ from ``\\w+`` runs, ``token`` finds
    the words.

    Compiled on first use (about 20 ms), so that importing costs nothing.
    Every class is a BMP part, one table lookup, and an astral part tried only
    after a cheap test that the character is astral (see
    :mod:`sktext.charclasses`).
    """
    astral = r"\U00010000-\U0010ffff"
    word_char = rf"[^\W{_CJK}]"
    mark = rf"(?:[{MARKS_BMP}]|(?=[{astral}])[{MARKS_ASTRAL}])"
    tones_and_tags = r"\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f"
    symbol = rf"(?:[{SYMBOLS_BMP}]|(?=[{astral}])[{SYMBOLS_ASTRAL}\U0001f3fb-\U0001f3ff])"
    attached = rf"(?:[{MARKS_BMP}]|(?=[{astral}])[{MARKS_ASTRAL}{tones_and_tags}])"
    emoji = rf"(?:[\U0001f1e6-\U0001f1ff]{{2}}|{symbol}){attached}*(?:\u200d{symbol}{attached}*)*"
    token = rf"{word_char}+(?:{mark}+{word_char}*)*|[{_CJK}]{mark}*|{emoji}"
    # Any astral character counts as special: rare outside emoji, and one
    # range keeps this test a single table lookup a character.
    special = rf"{_CJK}{MARKS_BMP}{SYMBOLS_BMP}{astral}"
    if rules >= 3:
        marks = re.escape(TOKEN_MARKS)
        token, special = rf"{token}|[{marks}]", rf"{special}{marks}"
    return re.compile(f"[{special}]"), re.compile(token)


def _unicode_words(text: str, rules: int = UNICODE_WORD_RULES) -> list[str]:
    """The words of rules version 2 (see the module docstring). Text without
    CJK characters, marks, symbols or astral characters has exactly the
    ``\\w+`` runs, found the fast way."""
    if text.isascii():
        return text.translate(_ASCII_NON_WORD if rules < 3 else _ASCII_NON_WORD_MARKS).split()
    special, token = _word_patterns(rules)
    if special.search(text) is None:
        return _WORD.findall(text)
    return token.findall(text)


def _words(text: str) -> list[str]:
    """The words of rules version 3: those of version 2, and each question or
    exclamation mark."""
    return _unicode_words(text, WORD_RULES)


def _unicode_word_matches(text: str) -> Iterator[re.Match[str]]:
    """The words of rules version 2 with their positions."""
    return _word_patterns(UNICODE_WORD_RULES)[1].finditer(text)


def _word_matches(text: str) -> Iterator[re.Match[str]]:
    """The words of rules version 3 with their positions."""
    return _word_patterns(WORD_RULES)[1].finditer(text)


# rules version -> (words of a text, the same words with their positions)
_RULES: dict[int, tuple[Callable[[str], list[str]], Callable[[str], Iterator[re.Match[str]]]]] = {
    LEGACY_WORD_RULES: (_legacy_words, _WORD_OR_CJK.finditer),
    UNICODE_WORD_RULES: (_unicode_words, _unicode_word_matches),
    WORD_RULES: (_words, _word_matches),
}


def _stable_hash(word: str) -> int:
    """64-bit hash of a word, the same in every process (unlike ``hash``)."""
    digest = hashlib.blake2b(word.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def resolve_tokenizer(spec: Any) -> tuple[str, Any]:
    """``(kind, backend)`` for a ``tokenizer`` parameter: a built-in kind (no
    backend), or a pretrained Hugging Face tokenizer given as a
    ``tokenizers.Tokenizer`` (copied, so later changes to it do not reach the
    model) or as the path of a ``tokenizer.json``."""
    from tokenizers import Tokenizer as HFTokenizer

    if isinstance(spec, str) and spec in BUILT_IN:
        return spec, None
    if isinstance(spec, HFTokenizer):
        return "pretrained", HFTokenizer.from_str(spec.to_str())
    if isinstance(spec, (str, os.PathLike)):
        path = os.fspath(spec)
        if not path.endswith(".json"):
            raise ValueError(
                f"tokenizer must be one of {BUILT_IN}, a tokenizers.Tokenizer or the path "
                f"of a tokenizer.json file; got {spec!r}."
            )
        try:
            return "pretrained", HFTokenizer.from_file(path)
        except Exception as error:  # the Rust side raises plain Exceptions
            raise ValueError(f"cannot read the tokenizer file {path!r}: {error}") from None
    raise ValueError(
        f"tokenizer must be one of {BUILT_IN}, a tokenizers.Tokenizer or the path of a "
        f"tokenizer.json file; got {type(spec).__name__}."
    )


def _encodable(texts: Sequence[str]) -> list[str]:
    """Texts the Rust tokenizer accepts: lone surrogates (invalid UTF-8, yet
    legal in a Python str) become U+FFFD instead of raising."""
    out = list(texts)
    for i, text in enumerate(out):
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            out[i] = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return out


def ordered_vocabulary(
    counts: Counter, min_count: int, keep: Collection[str] = ()
) -> dict[str, int]:
    """``token -> id`` for the tokens counted ``min_count`` times or more, and
    those of ``keep`` counted at all; ids by (count desc, token): a function
    of the counts (and ``keep``) alone."""
    kept = [token for token, c in counts.items() if c >= min_count or token in keep]
    kept.sort(key=lambda token: (-counts[token], token))
    return {token: i for i, token in enumerate(kept)}


# -- text preparation ------------------------------------------------------
def _preprocess(preprocessor: Callable[[str], str], text: str) -> str:
    out = preprocessor(text)
    if not isinstance(out, str):
        raise TypeError(
            f"preprocessor must return a str, it returned {type(out).__name__} for {text[:50]!r}."
        )
    return out


def _normalize(form: str, text: str) -> str:
    # isascii() is O(1) on a str, and ASCII is in every normal form.
    return text if text.isascii() else unicodedata.normalize(form, text)


def prepare(
    texts: Sequence[str],
    preprocessor: Callable[[str], str] | None = None,
    strip_accents: str | None = None,
    normalize_unicode: str | None = None,
) -> Sequence[str]:
    """Texts after ``preprocessor``, ``normalize_unicode`` and
    ``strip_accents``, in this order.

    Parameters
    ----------
    texts : sequence of str
        The raw texts.
    preprocessor : callable or None
        ``str -> str`` applied to each text first.
    strip_accents : {"ascii", "unicode"} or None
        Accent removal as ``TfidfVectorizer`` does it, applied last. Both
        modes decompose the text (NFKD) first, so they give the same result
        whatever the normalisation before.
    normalize_unicode : {"NFC", "NFKC"} or None
        The Unicode normal form texts are put in, or None to leave them.

    Returns
    -------
    sequence of str
        ``texts`` itself when there is nothing to do, else a new list.
    """
    steps = []
    if preprocessor is not None:
        steps.append(functools.partial(_preprocess, preprocessor))
    if normalize_unicode is not None:
        steps.append(functools.partial(_normalize, normalize_unicode))
    if strip_accents is not None:
        from sklearn.feature_extraction.text import strip_accents_ascii, strip_accents_unicode

        steps.append(strip_accents_ascii if strip_accents == "ascii" else strip_accents_unicode)
    if not steps:  # no copy when there is nothing to do
        return texts
    out = list(texts)
    for step in steps:
        out = list(map(step, out))
    return out


# -- splitters -------------------------------------------------------------
@dataclass
class BaseTokens:
    """The base tokens of some texts, flattened in text order."""

    ids: np.ndarray  # int64 id of each token; -1 outside the vocabulary
    lengths: np.ndarray  # int64 number of tokens of each text
    words: list[list[str]] | None  # each text's words, for character n-grams
    keys: np.ndarray  # what word n-grams hash: the ids, or 64-bit word hashes


def _lengths(words: list[list[str]]) -> np.ndarray:
    return np.fromiter(map(len, words), dtype=np.int64, count=len(words))


@dataclass(frozen=True)
class SplitOptions:
    """The tokenizer options splitters read (each the ones it needs)."""

    lowercase: bool = True
    min_count: int = 2
    vocab_size: int = 30000
    n_buckets: int = 2**20
    pretrained: Any = None
    word_rules: int = WORD_RULES


class Splitter:
    """Texts to base-token ids, for one kind of tokenizer.

    A splitter learns what its kind needs in :meth:`fit_split` (a vocabulary,
    a WordPiece model, or nothing), splits texts in :meth:`split`, locates the
    tokens of one text in :meth:`locate`, and saves what it learned with
    :meth:`get_state` / :meth:`set_state`.
    """

    kind = ""
    # True when ids are hash buckets: word n-grams are then hashed into the
    # same rows instead of being learned.
    hashed = False
    pretrained: Any = None  # the backend of a pretrained tokenizer, else None

    def __init__(self, options: SplitOptions) -> None:
        self.options = options
        self.lowercase = options.lowercase
        self.vocabulary: dict[str, int] = {}

    @property
    def n_base_tokens(self) -> int:
        """Distinct base-token ids."""
        return len(self.vocabulary)

    def fit_split(self, texts: Sequence[str]) -> BaseTokens:
        """Learn from ``texts`` (by default nothing) and split them."""
        return self.split(texts)

    def split(self, texts: Sequence[str]) -> BaseTokens:
        """The base tokens of ``texts``."""
        raise NotImplementedError

    def locate(self, text: str) -> tuple[list[str], list[tuple[int, int]], BaseTokens]:
        """The tokens of one text as written, their ``(start, end)`` spans in
        it, and their base tokens."""
        raise NotImplementedError

    def get_state(self) -> dict[str, Any]:
        """The JSON-ready ``vocabulary`` and ``wordpiece`` fields of a state."""
        return {"vocabulary": list(self.vocabulary), "wordpiece": None}

    def set_state(self, config: dict[str, Any]) -> None:
        """Inverse of :meth:`get_state`, reading those fields of ``config``."""
        self.vocabulary = {t: i for i, t in enumerate(config["vocabulary"])}


class _RegexSplitter(Splitter):
    """Words found by regular expressions, of rules version ``word_rules``."""

    def _split_words(self, texts: Sequence[str]) -> list[list[str]]:
        words, _ = _RULES[self.options.word_rules]
        if self.lowercase:
            return [words(text.lower()) for text in texts]
        return [words(text) for text in texts]

    def _matches(self, text: str) -> tuple[list[str], list[tuple[int, int]], list[str]]:
        """Tokens as written, spans, and the words they count as."""
        _, finditer = _RULES[self.options.word_rules]
        matches = list(finditer(text))
        tokens, spans = [m.group() for m in matches], [m.span() for m in matches]
        return tokens, spans, [t.lower() for t in tokens] if self.lowercase else tokens

    def locate(self, text: str) -> tuple[list[str], list[tuple[int, int]], BaseTokens]:
        tokens, spans, words = self._matches(text)
        return tokens, spans, self._tokens([words])

    def _tokens(self, words: list[list[str]]) -> BaseTokens:
        """The base tokens of texts split into ``words`` (each kind its own)."""
        raise NotImplementedError


class WordSplitter(_RegexSplitter):
    """Words with a vocabulary of those seen ``min_count`` times."""

    kind = "words"

    def fit_split(
        self, texts: Sequence[str], keep: Callable[[Collection[str]], Collection[str]] | None = None
    ) -> BaseTokens:
        """``keep``: given the distinct words of ``texts``, those to keep
        whatever ``min_count`` says (the words with a pretrained vector)."""
        words = self._split_words(texts)
        counts = Counter(itertools.chain.from_iterable(words))
        kept = () if keep is None else keep(counts.keys())
        self.vocabulary = ordered_vocabulary(counts, self.options.min_count, kept)
        return self._tokens(words)

    def split(self, texts: Sequence[str]) -> BaseTokens:
        return self._tokens(self._split_words(texts))

    def _tokens(self, words: list[list[str]]) -> BaseTokens:
        lengths = _lengths(words)
        ids = np.fromiter(
            map(self.vocabulary.get, itertools.chain.from_iterable(words), itertools.repeat(-1)),
            dtype=np.int64,
            count=int(lengths.sum()),
        )
        return BaseTokens(ids, lengths, words, ids)


class HashSplitter(_RegexSplitter):
    """Words hashed into ``n_buckets`` rows: any word gets a row."""

    kind = "hash"
    hashed = True

    @property
    def n_base_tokens(self) -> int:
        return self.options.n_buckets

    def split(self, texts: Sequence[str]) -> BaseTokens:
        return self._tokens(self._split_words(texts))

    def _tokens(self, words: list[list[str]]) -> BaseTokens:
        lengths = _lengths(words)
        # Hash each distinct word once, then spread the hashes over tokens.
        unique = {w: i for i, w in enumerate(set(itertools.chain.from_iterable(words)))}
        codes = np.fromiter(map(_stable_hash, unique), dtype=np.uint64, count=len(unique))
        local = np.fromiter(
            map(unique.__getitem__, itertools.chain.from_iterable(words)),
            dtype=np.int64,
            count=int(lengths.sum()),
        )
        keys = codes[local]
        # No character n-grams: they would need a vocabulary.
        buckets = (keys % np.uint64(self.options.n_buckets)).astype(np.int64)
        return BaseTokens(buckets, lengths, None, keys)


class WordPieceSplitter(Splitter):
    """Subwords of a WordPiece vocabulary of ``vocab_size`` trained in fit."""

    kind = "wordpiece"

    def fit_split(self, texts: Sequence[str]) -> BaseTokens:
        from tokenizers import Tokenizer as HFTokenizer
        from tokenizers import models, normalizers, pre_tokenizers, trainers

        backend = HFTokenizer(models.WordPiece(unk_token="[UNK]"))
        backend.normalizer = normalizers.BertNormalizer(
            clean_text=True,
            handle_chinese_chars=True,
            strip_accents=None,
            lowercase=self.lowercase,
        )
        backend.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        trainer = trainers.WordPieceTrainer(
            vocab_size=self.options.vocab_size, special_tokens=["[UNK]"], show_progress=False
        )
        backend.train_from_iterator(_encodable(texts), trainer)
        # The trainer breaks ties between equal counts in hash-map order, so ids
        # change from run to run; sorting the learned tokens makes ids a function
        # of the token set alone.
        tokens = sorted(backend.get_vocab(), key=lambda t: (t != "[UNK]", t))
        backend.model = models.WordPiece(
            vocab={t: i for i, t in enumerate(tokens)}, unk_token="[UNK]"
        )
        self._backend = backend
        self.vocabulary = {t: i for i, t in enumerate(tokens)}
        return self.split(texts)

    def split(self, texts: Sequence[str]) -> BaseTokens:
        encodings = self._backend.encode_batch(_encodable(texts), add_special_tokens=False)
        lengths = np.fromiter(map(len, encodings), dtype=np.int64, count=len(encodings))
        ids = np.concatenate(
            [np.empty(0, np.int64), *(np.asarray(e.ids, dtype=np.int64) for e in encodings)]
        )
        return BaseTokens(ids, lengths, None, ids)

    def locate(self, text: str) -> tuple[list[str], list[tuple[int, int]], BaseTokens]:
        encoding = self._backend.encode(_encodable([text])[0], add_special_tokens=False)
        ids = np.asarray(encoding.ids, dtype=np.int64)
        tokens, spans = list(encoding.tokens), [tuple(span) for span in encoding.offsets]
        return tokens, spans, BaseTokens(ids, np.array([len(ids)]), None, ids)

    def get_state(self) -> dict[str, Any]:
        return {"vocabulary": list(self.vocabulary), "wordpiece": self._backend.to_str()}

    def set_state(self, config: dict[str, Any]) -> None:
        from tokenizers import Tokenizer as HFTokenizer

        if not isinstance(config.get("wordpiece"), str):
            raise ValueError(
                f"the tokenizer state's field 'wordpiece' holds no tokenizer JSON, which "
                f"kind {self.kind!r} needs."
            )
        super().set_state(config)
        self._backend = HFTokenizer.from_str(config["wordpiece"])


class PretrainedSplitter(WordPieceSplitter):
    """The tokens of a given Hugging Face tokenizer, which is not retrained."""

    kind = "pretrained"

    def __init__(self, options: SplitOptions) -> None:
        super().__init__(options)
        self.pretrained = options.pretrained

    def fit_split(self, texts: Sequence[str]) -> BaseTokens:
        self._backend = self.pretrained
        self.vocabulary = self._backend.get_vocab()
        if max(self.vocabulary.values(), default=-1) + 1 != len(self.vocabulary):
            raise ValueError("the pretrained tokenizer's token ids are not contiguous.")
        return self.split(texts)

    def set_state(self, config: dict[str, Any]) -> None:
        super().set_state(config)
        self.pretrained = self._backend
        # The saved list follows the backend's hash-map order, not its ids.
        self.vocabulary = self._backend.get_vocab()


SPLITTERS: dict[str, type[Splitter]] = {
    splitter.kind: splitter
    for splitter in (WordSplitter, WordPieceSplitter, HashSplitter, PretrainedSplitter)
}
