"""Just enough PromQL reading for the monitoring checks: which metrics an expression selects, with
which label matchers, which range durations it uses, and Grafana variable substitution.

This is a scanner, not a parser: promtool is the parser (the checks also run every query through
`promtool check rules`). It removes string literals, label-matcher blocks, ranges and grouping
clauses, then treats every remaining identifier that is not a function or keyword as a metric name.
"""

import re

# Words that can stand where a metric name could, but are not metrics.
KEYWORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "bool",
    "and", "or", "unless", "offset", "inf", "nan", "atan2", "start", "end",
}

_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)")
_IDENTIFIER = re.compile(r"(?<![\w:.$])([a-zA-Z_:][a-zA-Z0-9_:]*)")
_GRAFANA_BRACED = re.compile(r"\$\{([a-zA-Z0-9_]+)(?::[^}]*)?\}")
_GRAFANA_PLAIN = re.compile(r"\$([a-zA-Z_][a-zA-Z0-9_]*)")
_GRAFANA_BRACKETS = re.compile(r"\[\[([a-zA-Z0-9_]+)(?::[^\]]*)?\]\]")
_LABEL_VALUES = re.compile(r"^\s*label_values\((?:(?P<selector>.*),\s*)?(?P<label>[a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$", re.S)
_MATCHER = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`)\s*,?')


class Selector:
    """One vector selector: an optional metric name and its label matchers [(label, op, value)]."""

    def __init__(self, name, matchers):
        self.name = name
        self.matchers = matchers

    def matcher(self, label):
        """(op, value) of the first matcher on `label`, or None."""
        for name, op, value in self.matchers:
            if name == label:
                return op, value
        return None

    def __repr__(self):
        return f"Selector({self.name!r}, {self.matchers!r})"


def _read_string(text, start):
    """Index just past the string literal that starts at text[start]."""
    quote = text[start]
    index = start + 1
    while index < len(text):
        char = text[index]
        if char == "\\" and quote != "`":
            index += 2
            continue
        if char == quote:
            return index + 1
        index += 1
    raise ValueError(f"unterminated string literal at offset {start}: {text!r}")


def _read_block(text, start, closing):
    """Index just past the `closing` bracket that matches text[start], skipping strings."""
    index = start + 1
    while index < len(text):
        char = text[index]
        if char in "\"'`":
            index = _read_string(text, index)
            continue
        if char == closing:
            return index + 1
        index += 1
    raise ValueError(f"unbalanced {text[start]!r} at offset {start}: {text!r}")


def _unquote(literal):
    body = literal[1:-1]
    if literal[0] == "`":
        return body
    return re.sub(r"\\(.)", r"\1", body)


def parse_matchers(block):
    """[(label, op, value)] from the inside of a `{...}` block; ValueError if malformed."""
    matchers = []
    position = 0
    block = block.strip()
    while position < len(block):
        match = _MATCHER.match(block, position)
        if not match:
            raise ValueError(f"cannot read label matchers {block!r}")
        matchers.append((match.group(1), match.group(2), _unquote(match.group(3))))
        position = match.end()
    return matchers


def scan(expr):
    """(selectors, ranges) of a PromQL expression.

    selectors: every vector selector, as Selector(name or None, matchers).
    ranges: the text inside every `[...]` (range and subquery durations).
    """
    expr = strip_grafana_braces(expr)
    pieces = []          # the expression with strings, blocks and ranges blanked out
    blocks = {}          # offset in `pieces` text -> matchers of a {...} block placed there
    ranges = []
    index = 0
    while index < len(expr):
        char = expr[index]
        if char in "\"'`":
            index = _read_string(expr, index)
            pieces.append(" ")
        elif char == "{":
            end = _read_block(expr, index, "}")
            blocks[len("".join(pieces))] = parse_matchers(expr[index + 1:end - 1])
            pieces.append("\0")
            index = end
        elif char == "[":
            end = _read_block(expr, index, "]")
            ranges.append(expr[index + 1:end - 1].strip())
            pieces.append(" ")
            index = end
        else:
            pieces.append(char)
            index += 1
    text = "".join(pieces)
    # Grouping clauses hold label names, not metrics; blank them with same-length spaces so the
    # offsets of blocks stay valid.
    text = _GROUPING.sub(lambda m: " " * len(m.group(0)), text)

    selectors = []
    named_blocks = set()
    for match in _IDENTIFIER.finditer(text):
        word = match.group(1)
        rest = text[match.end():]
        if rest.lstrip().startswith("(") or word.lower() in KEYWORDS:
            continue
        following = match.end() + (len(rest) - len(rest.lstrip()))
        matchers = blocks.get(following) if following < len(text) and text[following] == "\0" else None
        if matchers is not None:
            named_blocks.add(following)
        selectors.append(Selector(word, matchers or []))
    for offset, matchers in blocks.items():
        if offset not in named_blocks:
            selectors.append(Selector(None, matchers))
    return selectors, ranges


def strip_grafana_braces(expr):
    """`${var}` and `${var:format}` -> `$var`, so Grafana's braces are not read as label blocks."""
    return _GRAFANA_BRACED.sub(lambda m: "$" + m.group(1), expr)


def metric_names(expr):
    """Every metric name an expression selects, including names in `__name__` matchers."""
    selectors, _ = scan(expr)
    names = set()
    for selector in selectors:
        if selector.name:
            names.add(selector.name)
        name_matcher = selector.matcher("__name__")
        if name_matcher:
            op, value = name_matcher
            if op == "=":
                names.add(value)
            elif op == "=~" and re.fullmatch(r"[a-zA-Z0-9_:|]+", value):
                names.update(value.split("|"))
            else:
                raise ValueError(f"cannot list the metrics of __name__{op}{value!r}")
    return names


def label_values_query(query):
    """(selector expression or None, label) of a Grafana `label_values(...)` query, else None."""
    match = _LABEL_VALUES.match(query)
    if not match:
        return None
    return (match.group("selector") or None), match.group("label")


# What Grafana puts in for its built-in interval variables, for checking queries offline.
BUILTIN_VALUES = {"__rate_interval": "1m", "__interval": "30s", "__range": "1h", "__range_s": "3600"}


def substitute(expr, values):
    """Replace Grafana variables ($name, ${name}, ${name:fmt}, [[name]]) with values[name].

    Built-in interval variables get BUILTIN_VALUES unless `values` overrides them. A variable
    without a value raises KeyError naming it.
    """
    merged = dict(BUILTIN_VALUES)
    merged.update(values)

    def value_of(name):
        if name not in merged:
            raise KeyError(f"no value for Grafana variable ${name}")
        return merged[name]

    expr = _GRAFANA_BRACED.sub(lambda m: value_of(m.group(1)), expr)
    expr = _GRAFANA_BRACKETS.sub(lambda m: value_of(m.group(1)), expr)
    return _GRAFANA_PLAIN.sub(lambda m: value_of(m.group(1)), expr)
