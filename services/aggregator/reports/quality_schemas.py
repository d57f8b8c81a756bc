"""marshmallow schemas of the quality reports: calibration and the agents' month (OpenAPI)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from aggregator.reports.schemas import CsatSchema, Interval, Month, month_report_query
from survey_core.fields import StrictString


class CalibrationQuery(Schema):
    month = Month(required=True)
    by = StrictString(required=True, validate=validate.OneOf(["agent", "team", "monitor"]))
    format = StrictString(load_default=None, validate=validate.OneOf(["json", "csv"]))


class SpearmanSchema(Schema):
    r = fields.Float(allow_none=True, metadata={"description": "null when a side does not vary"})
    ci = Interval()
    n = fields.Integer()


class MonitorVsCustomer(Schema):
    n = fields.Integer(metadata={"description": "contacts (by monitor: that monitor's scores)"})
    monitor_mean = fields.Float(allow_none=True, metadata={"description": "0-100"})
    customer_mean = fields.Float(allow_none=True, metadata={"description": "CSAT on 0-100"})
    customer_csat_mean = fields.Float(allow_none=True, metadata={"description": "CSAT 1-5"})
    spearman = fields.Nested(SpearmanSchema)
    mean_difference = fields.Float(allow_none=True, metadata={"description": "monitor - customer"})


class SelfVsCustomer(Schema):
    n = fields.Integer()
    agreement_pct = fields.Float(allow_none=True)
    kappa = fields.Float(allow_none=True)
    self_satisfied_pct = fields.Float(allow_none=True)
    customer_satisfied_pct = fields.Float(allow_none=True)
    flagged = fields.Boolean()


class CalibrationFigures(Schema):
    monitor_vs_customer = fields.Nested(MonitorVsCustomer)
    self_vs_customer = fields.Nested(
        SelfVsCustomer, metadata={"description": "by agent or team, and the whole month"}
    )


class CalibrationRow(CalibrationFigures):
    value = StrictString(metadata={"description": "the agent, team or monitor"})


class Agreement(Schema):
    alpha = fields.Float(
        allow_none=True, metadata={"description": "Krippendorff's alpha (interval metric)"}
    )
    n = fields.Integer(metadata={"description": "contacts scored by two or more of the monitors"})


class PairAgreement(Agreement):
    monitors = fields.List(StrictString(), metadata={"description": "the two monitors"})


class MonitorAgreement(Agreement):
    pairs = fields.List(fields.Nested(PairAgreement))


class CalibrationReport(Schema):
    month = StrictString()
    by = StrictString()
    overall = fields.Nested(
        CalibrationFigures,
        metadata={
            "description": "The whole month: one observation per contact (the mean of "
            "its monitors' totals) against its customer; every self-rating against its customer."
        },
    )
    rows = fields.List(fields.Nested(CalibrationRow))
    monitors = fields.Nested(
        MonitorAgreement, metadata={"description": "monitor vs monitor: overall and per pair"}
    )


class CalibrationCsvRow(CalibrationFigures):
    """A row of the calibration CSV: the figures, alpha (the month's, a pair's) and the pair's
    second monitor."""

    agreement = fields.Nested(Agreement)
    paired_with = StrictString()


AgentReportQuery = month_report_query(
    "CSAT answers an agent needs for the honour roll (default 5).", "AgentReportQuery"
)


class AgentRow(Schema):
    agent = StrictString()
    thanks = fields.Integer()
    complaints = fields.Integer()
    surveyed = fields.Integer()
    complaint_rate = fields.Float(allow_none=True)
    monitor_mean = fields.Float(allow_none=True, metadata={"description": "0-100"})
    monitor_n = fields.Integer()
    csat = fields.Nested(CsatSchema)
    eligible = fields.Boolean(metadata={"description": "CSAT n >= min_n: may be on the roll"})


class AgentCsvRow(AgentRow):
    honour_rank = fields.Integer(allow_none=True, metadata={"description": "place on the roll"})


class AgentReport(Schema):
    month = StrictString()
    min_n = fields.Integer()
    agents = fields.List(fields.Nested(AgentRow))
    honour_roll = fields.List(fields.Nested(AgentRow))
