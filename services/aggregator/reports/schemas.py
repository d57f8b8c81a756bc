"""marshmallow schemas of the reporting API: query parameters in, report rows out (OpenAPI)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from survey_core.fields import DictKey, StrictDict, StrictString
from survey_core.months import MONTH_RE, month_range
from survey_core.reports.queries import FILTER_DIMS
from survey_core.responses import dimensions

MAX_MONTHS = 36
Month = lambda **kw: StrictString(  # noqa: E731 - a field factory
    validate=validate.Regexp(MONTH_RE, error="Not a month in YYYY-MM form."), **kw
)


class FormatMixin(Schema):
    format = StrictString(
        load_default=None,
        validate=validate.OneOf(["json", "csv"]),
        metadata={"description": "csv for a spreadsheet (or Accept: text/csv)"},
    )
    interval = StrictString(
        load_default="adjusted",
        validate=validate.OneOf(["adjusted", "wald"]),
        metadata={"description": "NPS interval: Rocks' adjusted Wald or Wald"},
    )


# One filter per customer dimension (`responses.dimensions`).
FilterMixin = dimensions.schema_of(
    dimensions.CUSTOMER_DIMENSIONS, load_default=None, validate=validate.Length(1, 128)
)


class MonthRange(Schema):
    """`from` and `to` months, in order, at most MAX_MONTHS apart."""

    from_ = Month(data_key="from", required=True)
    to = Month(required=True)

    @validates_schema
    def _range(self, data: dict[str, Any], **_: Any) -> None:
        if "from_" not in data or "to" not in data:
            return
        if data["from_"] > data["to"]:
            raise ValidationError("from must not be after to.", "from")
        if len(month_range(data["from_"], data["to"])) > MAX_MONTHS:
            raise ValidationError(f"At most {MAX_MONTHS} months per request.", "to")


class MonthlyQuery(FormatMixin, FilterMixin, MonthRange):
    pass


class BreakdownQuery(FormatMixin):
    month = Month(required=True)
    by = StrictString(required=True, validate=validate.OneOf(FILTER_DIMS))
    min_n = fields.Integer(load_default=0, validate=validate.Range(0, 1_000_000))


class FunnelQuery(Schema):
    month = Month(required=True)
    format = StrictString(load_default=None, validate=validate.OneOf(["json", "csv"]))
    channel = StrictString(load_default=None, validate=validate.Length(1, 128))


Interval = lambda: fields.List(fields.Float(), allow_none=True)  # noqa: E731


class CsatSchema(Schema):
    value = fields.Float(allow_none=True, metadata={"description": "% of answers 4 or 5"})
    mean = fields.Float(allow_none=True)
    n = fields.Integer()
    ci = Interval()
    mean_ci = Interval()


class NpsSchema(Schema):
    value = fields.Float(allow_none=True, metadata={"description": "-100..100"})
    n = fields.Integer()
    se = fields.Float(allow_none=True)
    ci = Interval()
    promoters = fields.Integer()
    passives = fields.Integer()
    detractors = fields.Integer()
    promoters_pct = fields.Float(allow_none=True)
    passives_pct = fields.Float(allow_none=True)
    detractors_pct = fields.Float(allow_none=True)


class CesSchema(Schema):
    value = fields.Float(allow_none=True, metadata={"description": "mean 1-5, lower is better"})
    n = fields.Integer()
    ci = Interval()
    low_effort_pct = fields.Float(allow_none=True)


class MetricsMixin(Schema):
    responses = fields.Integer()
    csat = fields.Nested(CsatSchema)
    nps = fields.Nested(NpsSchema)
    ces = fields.Nested(CesSchema)


class MonthlyRow(MetricsMixin):
    month = StrictString()


class BreakdownRow(MetricsMixin):
    value = StrictString()


class MonthlyReport(Schema):
    filters = StrictDict(keys=DictKey(), values=StrictString())
    rows = fields.List(fields.Nested(MonthlyRow))


class BreakdownReport(Schema):
    month = StrictString()
    by = StrictString()
    rows = fields.List(fields.Nested(BreakdownRow))


class FunnelReport(Schema):
    month = StrictString()
    channel = StrictString(allow_none=True)
    offered = fields.Integer()
    not_sampled = fields.Integer()
    suppressed = fields.Integer()
    not_reached = fields.Integer()
    started = fields.Integer()
    completed = fields.Integer()
    partial = fields.Integer()
    abandoned = fields.Integer()
    partial_at = StrictDict(keys=DictKey(), values=fields.Integer())
    response_rate = fields.Float(allow_none=True)
    completion_rate = fields.Float(allow_none=True)


def month_report_query(min_n: str, name: str) -> type[Schema]:
    """The query of a month's report with a minimum n (`min_n` says what it is) and `format`."""
    return Schema.from_dict(
        {
            "month": Month(required=True),
            "min_n": fields.Integer(
                validate=validate.Range(0, 100_000), metadata={"description": min_n}
            ),
            "format": StrictString(load_default=None, validate=validate.OneOf(["json", "csv"])),
        },
        name=name,
    )


RankingQuery = month_report_query(
    "m of the Bayesian average (default MIN_TRAINER_SAMPLE, 5).", "RankingQuery"
)


class TrendQuery(MonthRange):
    pass


class RatingSchema(Schema):
    mean = fields.Float(allow_none=True, metadata={"description": "1-5"})
    ci = Interval()
    n = fields.Integer()


class TrainerFigures(Schema):
    n = fields.Integer(metadata={"description": "evaluations (their `overall` ratings)"})
    sessions = fields.Integer(metadata={"description": "released sessions (they count)"})
    sessions_withheld = fields.Integer(
        metadata={"description": "closed with fewer than ANONYMITY_MIN evaluations: not counted"}
    )
    sessions_open = fields.Integer(metadata={"description": "still open: not counted yet"})
    response_rate = fields.Float(allow_none=True, metadata={"description": "evaluated / invited"})
    overall = fields.Nested(RatingSchema)
    communication = fields.Nested(RatingSchema)
    clarity = fields.Nested(RatingSchema)
    interaction = fields.Nested(RatingSchema)
    recommend = fields.Nested(NpsSchema, allow_none=True)


class RankingRow(TrainerFigures):
    rank = fields.Integer()
    trainer_id = StrictString()
    trainer_name = StrictString(allow_none=True)
    bayes_score = fields.Float(
        allow_none=True, metadata={"description": "(n*mean + m*C)/(n + m) of overall"}
    )
    eligible = fields.Boolean(metadata={"description": "n >= min_n: may be best"})


class RankingReport(Schema):
    month = StrictString()
    min_n = fields.Integer()
    trainers = fields.List(fields.Nested(RankingRow))
    best = fields.Nested(RankingRow, allow_none=True)


class TrendRow(TrainerFigures):
    month = StrictString()


class TrendReport(Schema):
    trainer_id = StrictString()
    rows = fields.List(fields.Nested(TrendRow))
