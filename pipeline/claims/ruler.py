"""The model's ``attribute_ruler`` (tag map and morph rules), applied by lookup.

spaCy's ruler runs a Matcher of 179 patterns over every token: about 15% of the
stage's parse time. Its patterns test only a token's TAG, LOWER, DEP and IS_SPACE,
so which one-token rules fire on a token follows from those four values: worked
out once per distinct combination, then looked up. The few longer patterns are
checked where their first token fits. Matches are taken before any attribute is
set and applied with spaCy's own ``set_token_attrs`` in rule order (later rules
win), as the ruler does, so a doc comes out as the ruler leaves it; a unit test
holds the two equal. A pattern form not handled here makes ``AttributeLookup.of``
return None, and the stage then runs the ruler itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from spacy.pipeline import AttributeRuler
from spacy.tokens import Doc
from spacy.tokens._retokenize import set_token_attrs

#: What a pattern may test, in the order of a token's signature.
_FIELDS = ("TAG", "LOWER", "DEP", "IS_SPACE")
_COLUMNS: list[int | str] = list(_FIELDS)

#: (TAG, LOWER, DEP, IS_SPACE) of one token, as strings and a flag.
Signature = tuple[str, str, str, bool]
Test = Callable[[Signature], bool]
Attrs = dict[int, Any]
#: One token's part of a pattern, as the ruler lists it.
Spec = Mapping[int | str, Any]
#: A field's position in the signature and the value a pattern requires there.
Anchor = tuple[int, str]
#: Signatures remembered before the table starts afresh: a worker's memory stays
#: bounded however much text it sees (22,500 CheckThat! sentences give 34,000).
MAX_SIGNATURES = 200_000


@dataclass(frozen=True)
class _Pattern:
    """A pattern of two or more tokens, and the rule it fires."""

    rule: int
    tests: tuple[Test, ...]
    target: int  # offset of the token that takes the rule's attributes


@dataclass(frozen=True)
class _Reading:
    """What a signature alone decides: rules fired and longer patterns to try."""

    rules: tuple[int, ...]
    starts: tuple[_Pattern, ...]


@dataclass
class AttributeLookup:
    """The ruler's rules as tests; signatures seen so far and what they fire.

    One-token rules are filed under a TAG or LOWER value they require, so that a
    new signature is tested against a handful of rules rather than all of them.
    """

    anchored: dict[Anchor, list[tuple[int, Test]]]
    unanchored: list[tuple[int, Test]]
    longer: list[_Pattern]
    attrs: list[Attrs]
    _readings: dict[tuple[int, ...], _Reading] = field(default_factory=dict)

    @classmethod
    def of(cls, ruler: AttributeRuler) -> AttributeLookup | None:
        """The ruler's rules, or None if a pattern uses a form not handled here."""
        lookup = cls({}, [], [], list(ruler.attrs))
        for rule, entry in enumerate(ruler.patterns):
            index, patterns = entry.get("index", 0), entry["patterns"]
            if not isinstance(index, int) or not isinstance(patterns, list):
                return None
            for pattern in patterns:
                if not isinstance(pattern, list):
                    return None
                if not (pattern and -len(pattern) <= index < len(pattern)):
                    return None
                if not lookup._add(rule, pattern, index % len(pattern)):
                    return None
        return lookup

    def _add(self, rule: int, pattern: Sequence[Spec], target: int) -> bool:
        tests = [_token_test(spec) for spec in pattern]
        known = [test for test in tests if test is not None]
        if len(known) < len(tests):
            return False
        if len(known) > 1:
            self.longer.append(_Pattern(rule, tuple(known), target))
            return True
        anchor = _anchor(pattern[0])
        if anchor is None:
            self.unanchored.append((rule, known[0]))
        else:
            self.anchored.setdefault(anchor, []).append((rule, known[0]))
        return True

    def __call__(self, doc: Doc) -> Doc:
        """Sets the attributes the ruler would set; returns the same doc."""
        keys = [tuple(row) for row in doc.to_array(_COLUMNS).tolist()]
        readings = [self._reading(key, doc) for key in keys]
        fired = [list(reading.rules) for reading in readings]
        for start, reading in enumerate(readings):
            for pattern in reading.starts:
                self._try(pattern, start, keys, doc, fired)
        for token, rules in zip(doc, fired, strict=True):
            for rule in sorted(set(rules)):
                set_token_attrs(token, self.attrs[rule])
        return doc

    def _reading(self, key: tuple[int, ...], doc: Doc) -> _Reading:
        reading = self._readings.get(key)
        if reading is None:
            if len(self._readings) >= MAX_SIGNATURES:
                self._readings.clear()
            signature = _signature(key, doc)
            tag, lower = signature[:2]
            candidates = [
                *self.anchored.get((0, tag), []),
                *self.anchored.get((1, lower), []),
                *self.unanchored,
            ]
            # A rule with several patterns fires once; the ruler's order is rule order.
            rules = tuple(
                sorted({rule for rule, test in candidates if test(signature)})
            )
            starts = tuple(p for p in self.longer if p.tests[0](signature))
            reading = self._readings[key] = _Reading(rules, starts)
        return reading

    def _try(
        self,
        pattern: _Pattern,
        start: int,
        keys: Sequence[tuple[int, ...]],
        doc: Doc,
        fired: list[list[int]],
    ) -> None:
        end = start + len(pattern.tests)
        if end > len(keys):
            return
        rest = zip(pattern.tests[1:], keys[start + 1 : end], strict=True)
        if all(test(_signature(key, doc)) for test, key in rest):
            fired[start + pattern.target].append(pattern.rule)


def _signature(key: tuple[int, ...], doc: Doc) -> Signature:
    strings = doc.vocab.strings
    tag, lower, dep, space = key
    return strings[tag], strings[lower], strings[dep], bool(space)


def _anchor(spec: Spec) -> Anchor | None:
    """A TAG or LOWER value the token must have, if the pattern requires one."""
    for name in ("TAG", "LOWER"):
        value = spec.get(name)
        if isinstance(value, str):
            return _FIELDS.index(name), value
    return None


def _token_test(spec: Spec) -> Test | None:
    """One token's part of a pattern as a test, or None if it is not handled."""
    tests: list[Test] = []
    for name, value in spec.items():
        if not isinstance(name, str) or name not in _FIELDS:
            return None
        test = _field_test(_FIELDS.index(name), value)
        if test is None:
            return None
        tests.append(test)
    return lambda signature: all(test(signature) for test in tests)


def _field_test(position: int, value: Any) -> Test | None:
    """The Matcher's predicates that the model's patterns use; None for others."""
    flag = position == _FIELDS.index("IS_SPACE")
    if isinstance(value, bool if flag else str):
        return lambda signature: signature[position] == value
    if flag or not isinstance(value, dict) or len(value) != 1:
        return None
    [(operator, argument)] = value.items()
    if operator == "REGEX" and isinstance(argument, str):
        regex = re.compile(argument)  # the Matcher searches, it does not match
        return lambda signature: bool(regex.search(str(signature[position])))
    if operator not in {"IN", "NOT_IN"} or not all(
        isinstance(a, str) for a in argument
    ):
        return None
    members = frozenset(argument)
    if operator == "IN":
        return lambda signature: signature[position] in members
    return lambda signature: signature[position] not in members
