"""Text processing shared by indexing and querying: tokens, FTS5 queries, chunks.

FTS5's unicode61 tokenizer splits on every non-alphanumeric character, so code identifiers
such as ``parse_jwt_header``, ``src/auth/keys.py`` or ``a.b.c`` become token sequences that
a phrase query matches exactly. Two things unicode61 cannot do are added here, in a second
indexed column (``extra``): the parts of CamelCase identifiers (``parseJwtHeader`` ->
``parse jwt header``) and overlapping bigrams of scripts written without spaces (Chinese,
Japanese, Thai), which unicode61 would otherwise keep as one giant token per sentence.
Queries are always rebuilt from tokens, so user input never reaches MATCH raw.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ctx.search.types import MARK_CLOSE, MARK_OPEN

# unicode61's notion of a token: letters, digits and private-use characters.
TOKEN_RE = re.compile(r"[^\W_]+", re.UNICODE)
CAMEL_RE = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
# Han, Hiragana, Katakana, Thai, Lao, Khmer, Myanmar: written without spaces between words.
NOSPACE_RE = re.compile(
    r"[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
    r"\uf900-\ufaff\U00020000-\U0002fa1f]+"
)
MAX_QUERY_TERMS = 48
MAX_QUERY_CHARS = 4000

# Function words that carry no topic. With OR semantics they would match nearly every
# document (slow at 100k docs) and add noise; they are dropped unless nothing else is left.
STOP_WORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "aren",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "cannot",
        "could",
        "did",
        "didn",
        "do",
        "does",
        "doesn",
        "doing",
        "don",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "hadn",
        "has",
        "hasn",
        "have",
        "haven",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "isn",
        "it",
        "its",
        "itself",
        "just",
        "let",
        "me",
        "more",
        "most",
        "mustn",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "ought",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "shan",
        "she",
        "should",
        "shouldn",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "wasn",
        "we",
        "were",
        "weren",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "won",
        "would",
        "wouldn",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "s",
        "t",
        "d",
        "ll",
        "m",
        "o",
        "re",
        "ve",
        "y",
    ]
)


def tokens(text: str) -> list[str]:
    """Lower-cased unicode61-style tokens of ``text``."""
    return [t.lower() for t in TOKEN_RE.findall(text)]


def camel_parts(token: str) -> list[str]:
    """``parseJwtHeader`` -> [parse, jwt, header]; [] when the token has no inner case change."""
    if token.islower() or token.isupper() or not any(c.isupper() for c in token[1:]):
        return []
    parts = CAMEL_RE.findall(token)
    return [p.lower() for p in parts] if len(parts) > 1 else []


def nospace_bigrams(run: str) -> list[str]:
    """Overlapping character bigrams of a CJK/Thai run (a lone character stays a unigram)."""
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def extra_terms(text: str, tags: list[str] | None = None) -> str:
    """The second FTS column: tags, CamelCase parts and no-space-script bigrams."""
    out: list[str] = list(tags or [])
    seen: set[str] = set()
    for tok in TOKEN_RE.findall(text):
        parts = camel_parts(tok)
        if parts and tok not in seen:
            seen.add(tok)
            out.append(" ".join(parts))
    for run in NOSPACE_RE.findall(text):
        out.append(" ".join(nospace_bigrams(run)))
    return " ; ".join(out)


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


@dataclass
class ParsedQuery:
    match: str | None  # the FTS5 MATCH expression, None when the query has no usable token
    terms: list[str]  # distinct plain terms (for logging and highlighting)
    clauses: list[str] = field(default_factory=list)  # the OR-ed clauses: "term" / "a b c"


def match_of(clauses: list[str]) -> str | None:
    """The MATCH expression of some clauses (each already a quoted string or phrase)."""
    return " OR ".join(clauses) if clauses else None


def build_match(query: str) -> ParsedQuery:
    """Turn free text into a safe FTS5 expression: an OR of quoted terms and phrases.

    Every clause is a quoted string, so quotes, ``*``, ``-``, ``AND``/``OR``/``NEAR``,
    parentheses and ``:`` in the input are plain text. Multi-token words (identifiers,
    paths, dotted names) also add an exact phrase, which ranks exact mentions first.
    """
    query = query[:MAX_QUERY_CHARS]
    clauses: list[str] = []
    terms: list[str] = []
    stop_terms: list[str] = []
    seen: set[str] = set()

    def add(clause: str) -> None:
        if clause not in seen:
            seen.add(clause)
            clauses.append(clause)

    for word in query.split():
        raw = TOKEN_RE.findall(word)
        if not raw:
            continue
        toks = [t.lower() for t in raw]
        if len(toks) > 1:
            add(_quote(" ".join(toks)))
        for raw_tok, tok in zip(raw, toks, strict=True):
            parts = camel_parts(raw_tok)
            if parts:
                add(_quote(" ".join(parts)))
            for run in NOSPACE_RE.findall(raw_tok):
                grams = nospace_bigrams(run)
                for g in grams:
                    if g not in terms:
                        terms.append(g)
                if len(run) == len(raw_tok):
                    tok = ""  # a pure CJK run is matched by its bigrams only
            if not tok:
                continue
            if tok in STOP_WORDS:
                if tok not in stop_terms:
                    stop_terms.append(tok)
            elif tok not in terms:
                terms.append(tok)
    chosen = terms or stop_terms
    for t in chosen[:MAX_QUERY_TERMS]:
        add(_quote(t))
    clauses = clauses[: MAX_QUERY_TERMS + 8]
    return ParsedQuery(match_of(clauses), chosen, clauses)


@dataclass
class Chunk:
    start: int  # character offsets into the document text
    end: int


def chunk_spans(
    text: str, max_words: int = 160, max_chars: int = 900, overlap: int = 32
) -> list[Chunk]:
    """Split ``text`` into overlapping windows small enough for the embedding model.

    MiniLM reads 256 word pieces; 160 words or 900 characters stays under that for prose
    and most code. Short texts (the common case: one turn) are one chunk.
    """
    if len(text) <= max_chars and len(text.split()) <= max_words:
        return [Chunk(0, len(text))]
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
    # Split pathological "words" (minified code, base64) so no window exceeds max_chars.
    pieces: list[tuple[int, int]] = []
    for s, e in words:
        while e - s > max_chars:
            pieces.append((s, s + max_chars))
            s += max_chars
        pieces.append((s, e))
    out: list[Chunk] = []
    i = 0
    while i < len(pieces):
        j = i
        start = pieces[i][0]
        while j < len(pieces) and j - i < max_words and pieces[j][1] - start <= max_chars:
            j += 1
        j = max(j, i + 1)
        out.append(Chunk(start, pieces[j - 1][1]))
        if j >= len(pieces):
            break
        i = max(j - min(overlap, (j - i) // 4), i + 1)
    return out


def _word_start(text: str, lo: int, limit: int) -> int:
    """``lo`` moved forward to the start of a word (not past ``limit``): a cut mid-word drops
    the fragment, a cut already at a word start keeps that word."""
    if lo <= 0 or text[lo - 1].isspace():
        return lo
    space = text.find(" ", lo)
    return space + 1 if 0 <= space < limit else lo


def best_window(doc: str, start: int, end: int, terms: list[str], size: int = 240) -> str:
    """About ``size`` characters of ``doc[start:end]`` around the sentence sharing the most
    words with the query (prefix match, a cheap stand-in for stemming); "…" marks cuts.

    Used for hits the keyword index did not produce (FTS5 builds the others' snippets).
    """
    region = doc[start:end]
    keys = {t[:5] for t in terms if len(t) > 2}
    best, best_at = 0, 0
    if keys:
        for m in re.finditer(r"[^.!?\n]+[.!?\n]*", region):
            score = sum(1 for t in tokens(m.group()) if t[:5] in keys)
            if score > best:
                best, best_at = score, m.start()
    lo = _word_start(region, max(0, best_at - size // 4), best_at) if best else 0
    window = region[lo : lo + 2 * size]
    piece = " ".join(window.split())
    more = len(piece) > size or start + lo + len(window) < len(doc)
    piece = piece[:size].rstrip()
    return ("…" if start + lo > 0 else "") + piece + ("…" if more else "")


def highlight(doc: str, spans: list[tuple[int, int]], size: int = 240) -> str:
    """About ``size`` characters of ``doc`` around the densest run of matched words, each
    marked « »; ``spans`` are the matched words' character offsets, in order."""
    if not spans:
        return ""
    best_i, best_n = 0, 0
    j = 0
    for i, (s, _e) in enumerate(spans):  # the window starting at each match, two pointers
        while j < len(spans) and spans[j][1] <= s + size:
            j += 1
        if j - i > best_n:
            best_i, best_n = i, j - i
    lo = spans[best_i][0]
    if lo > 0:  # a little lead-in, from a word boundary
        lo = _word_start(doc, max(0, lo - size // 6), lo)
    hi = min(len(doc), lo + size)
    space = doc.rfind(" ", lo, hi)
    if hi < len(doc) and space > lo + size // 2:
        hi = space
    out: list[str] = []
    pos = lo
    for s, e in spans:
        if s < lo or e > hi:
            continue
        out += [doc[pos:s], MARK_OPEN, doc[s:e], MARK_CLOSE]
        pos = e
    out.append(doc[pos:hi])
    piece = " ".join("".join(out).split())
    return ("…" if lo > 0 else "") + piece + ("…" if hi < len(doc) else "")
