"""How a published table says which people each of its rows describes.

A scorer that publishes figures about groups of people attaches a :class:`Cells` declaration
to its :class:`~aspire_models.scoring.Table`. The declaration names, for every row, the group
of people it covers (conditions on *population dimensions*: organisation, team, subject,
rater role) and which columns summarise them. The result-wide disclosure step
(:func:`aspire_models.privacy.protect`) and the independent auditor
(:func:`aspire_models.privacy.audit`) read nothing else, so a plugin's table is protected
exactly like a built-in one.

>>> c = Cells(by={"organisation": "organisation"}, count="n", values=("mean", "sd"),
...           statistic=("element", "mode"))
>>> Cells.from_dict(c.to_dict()) == c
True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

import attrs

__all__ = ["ALL", "DIMENSIONS", "Cells", "Condition"]

#: The population dimensions a row may be conditioned on (ResponseSet columns).
DIMENSIONS = ("organisation", "team", "subject", "rater_role")

#: In :attr:`Cells.unions`, the union of every label of a dimension (e.g. a breakdown's "(all)").
ALL = "*"

#: A row's coverage: per dimension, the labels it includes (absent dimension: every label).
Condition = Mapping[str, frozenset[str]]


def _strs(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _frozen_map(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return dict(value)


def _unions(value: Mapping[str, Mapping[str, Any]]) -> Mapping[str, Mapping[str, tuple[str, ...] | str]]:
    return {d: {label: (u if isinstance(u, str) else tuple(u)) for label, u in m.items()} for d, m in value.items()}


def _label_sets(value: Mapping[str, Any]) -> Mapping[str, tuple[str, ...]]:
    return {d: tuple(v) for d, v in value.items()}


def _excludes(value: Any) -> tuple[Mapping[str, str], ...]:
    return tuple(dict(x) for x in value)


@attrs.frozen
class Cells:
    """The disclosure declaration of one table.

    ``kind``:

    * ``"aggregate"``: each row summarises the people of its group. ``count`` names the
      column with the number of people behind the row's figures (for its statistic),
      ``values`` the columns that summarise them (withheld with the count), ``people``
      an optional column counting the group's people whatever they answered.
    * ``"derived"``: figures computed from other published cells (priorities,
      self-versus-others): a row is published only when every aggregate cell with the same
      coverage (and statistic, if given; a statistic that names only an element covers each
      of its modes) is published; otherwise its ``values`` are
      withheld. A row whose coverage no table counts (aggregate cells, or the derived
      table's own ``people`` column) is withheld.
    * ``"text"``: free text of a group (comments): a row is kept only when an aggregate cell
      with the same coverage is published, and is dropped otherwise.
    * ``"none"``: not about people (e.g. adoption years of organisations).
    """

    kind: Literal["aggregate", "derived", "text", "none"] = "aggregate"
    #: table column -> population dimension, for the columns that name each row's group
    by: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen_map)
    #: column counting the people behind the row's figures (aggregate rows)
    count: str | None = None
    #: columns summarising those people; withheld together
    values: tuple[str, ...] = attrs.field(default=(), converter=_strs)
    #: columns naming what each row is about (e.g. element and mode); rows with the same
    #: statistic form one linear system
    statistic: tuple[str, ...] = attrs.field(default=(), converter=_strs)
    #: column counting the group's people whatever they answered (withheld with the row)
    people: str | None = None
    #: one person's value (minimum, maximum): never published (see the Privacy page)
    extremes: tuple[str, ...] = attrs.field(default=(), converter=_strs)
    #: per table column: labels that stand for a union of labels (``ALL`` for every label)
    unions: Mapping[str, Mapping[str, tuple[str, ...] | str]] = attrs.field(factory=dict, converter=_unions)
    #: per table column: labels published whatever their size (a 360's self and line manager)
    exempt: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict, converter=_label_sets)
    #: per dimension: the only labels the table's figures draw on (e.g. a sector built from
    #: the published organisations)
    within: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict, converter=_label_sets)
    #: groups (dimension -> label) whose people the figures leave out (e.g. a 360 team view
    #: pools only the subject groups that the subjects' own reports publish)
    exclude: tuple[Mapping[str, str], ...] = attrs.field(default=(), converter=_excludes)
    #: per table column: a label every row is taken to have (e.g. a self-versus-others table's
    #: "others" figures describe the all-others group)
    assume: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen_map)
    #: what the statistics are of, when two tables' statistics share names but not meaning
    #: (e.g. reliability's listwise samples against dimension scores)
    topic: str = ""
    #: boolean column set where a row is withheld, and a text column for the reason
    flag: str | None = "suppressed"
    reason: str | None = None
    #: the smallest group the table may publish (the scorer's ``min_group_size``)
    k: int = 5

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "by": dict(self.by),
            "count": self.count,
            "values": list(self.values),
            "statistic": list(self.statistic),
            "people": self.people,
            "extremes": list(self.extremes),
            "unions": {
                c: {lab: (u if isinstance(u, str) else list(u)) for lab, u in m.items()} for c, m in self.unions.items()
            },
            "exempt": {c: list(v) for c, v in self.exempt.items()},
            "within": {c: list(v) for c, v in self.within.items()},
            "exclude": [dict(x) for x in self.exclude],
            "assume": dict(self.assume),
            "topic": self.topic,
            "flag": self.flag,
            "reason": self.reason,
            "k": self.k,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Cells:
        return cls(
            kind=data.get("kind", "aggregate"),
            by=data.get("by", {}),
            count=data.get("count"),
            values=data.get("values", ()),
            statistic=data.get("statistic", ()),
            people=data.get("people"),
            extremes=data.get("extremes", ()),
            unions=data.get("unions", {}),
            exempt=data.get("exempt", {}),
            within=data.get("within", {}),
            exclude=data.get("exclude", ()),
            assume=data.get("assume", {}),
            topic=data.get("topic", ""),
            flag=data.get("flag", "suppressed"),
            reason=data.get("reason"),
            k=int(data.get("k", 5)),
        )

    def condition(self, row: Mapping[str, Any], universe: Mapping[str, tuple[str, ...]]) -> dict[str, frozenset[str]]:
        """The row's coverage: per dimension, the set of labels it includes."""
        cond: dict[str, frozenset[str]] = {d: frozenset(v) for d, v in self.within.items()}
        for column, dim in self.by.items():
            label = self.assume.get(column, row.get(column))
            if label is None:
                continue
            union = self.unions.get(column, {}).get(str(label))
            labels = (
                frozenset(universe.get(dim, ()))
                if union == ALL
                else frozenset(union)
                if isinstance(union, tuple)
                else frozenset({str(label)})
            )
            cond[dim] = cond[dim] & labels if dim in cond else labels
        return cond

    def is_exempt(self, row: Mapping[str, Any]) -> bool:
        return any(str(row.get(column)) in labels for column, labels in self.exempt.items())
