# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Customer complaints (P4.2.3): accepted promptly, investigated, analysed
and resolved to the customer's satisfaction, within deadlines set by
severity, escalated when late, and measured"""
import datetime as dt
import logging
from collections import defaultdict

from sql import Literal, Null, Union
from sql.aggregate import Avg, Count, Max, Sum
from sql.conditionals import Case
from sql.functions import Extract

from trytond import backend
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, Unique, Workflow, fields)
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.report import Report
from trytond.transaction import Transaction

from .approval import _now
from .collection import _JulianDay
from .exceptions import ComplaintValidationError
from .model import check_satisfaction, notify_employees

logger = logging.getLogger(__name__)

SEVERITIES = [
    ('low', "Low"),
    ('medium', "Medium"),
    ('high', "High"),
    ('critical', "Critical"),
    ]
ESCALATIONS = [
    ('none', "None"),
    ('supervisor', "Supervisor"),
    ('manager', "Manager"),
    ]
# states in which a complaint still waits for its resolution
OPEN_STATES = ['draft', 'waiting', 'approved']
RESOLVED_STATES = ['done', 'rejected']


def complaint_now():
    "The moment deadlines are judged on, to the second"
    return _now().replace(microsecond=0)


class Configuration(metaclass=PoolMeta):
    __name__ = 'sale.configuration'
    complaint_escalation_days = fields.Integer(
        "Days to Escalate Complaints to Manager",
        domain=['OR',
            ('complaint_escalation_days', '=', None),
            ('complaint_escalation_days', '>=', 0),
            ],
        help="A late complaint escalated to the owner's supervisor goes to "
        "the manager of the owner's sales team when it is still open this "
        "many days later (P4.2.3).\n"
        "Leave empty to never escalate to the manager.")

    @classmethod
    def default_complaint_escalation_days(cls):
        return 2


class Cause(DeactivableMixin, ModelSQL, ModelView):
    "Complaint Cause"
    __name__ = 'sale.complaint.cause'
    __string__ = "Complaint Cause"
    name = fields.Char("Name", required=True, translate=True)
    code = fields.Char("Code")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('name', 'ASC'))

    def get_rec_name(self, name):
        if self.code:
            return f'[{self.code}] {self.name}'
        return self.name

    @classmethod
    def search_rec_name(cls, name, clause):
        operator = clause[1]
        bool_op = 'AND' if operator.startswith(('!', 'not ')) else 'OR'
        return [bool_op,
            ('name', *clause[1:]),
            ('code', *clause[1:]),
            ]


class Deadline(ModelSQL, ModelView):
    "Complaint Deadline"
    __name__ = 'sale.complaint.deadline'
    __string__ = "Complaint Deadline"
    severity = fields.Selection(SEVERITIES, "Severity", required=True)
    severity_string = severity.translated('severity')
    acceptance_hours = fields.Integer(
        "Hours to Accept", required=True,
        help="A complaint of this severity is accepted within this many "
        "hours of its receipt.")
    resolution_days = fields.Integer(
        "Days to Resolve", required=True,
        help="A complaint of this severity is resolved within this many "
        "days of its receipt.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('severity_unique', Unique(t, t.severity),
                'sales_ops_policy.msg_complaint_deadline_unique'),
            ]
        cls._order.insert(0, ('acceptance_hours', 'ASC'))

    @classmethod
    def validate_fields(cls, deadlines, field_names):
        super().validate_fields(deadlines, field_names)
        if field_names and not field_names & {
                'acceptance_hours', 'resolution_days'}:
            return
        for deadline in deadlines:
            if ((deadline.acceptance_hours or 0) < 0
                    or (deadline.resolution_days or 0) < 0):
                raise ComplaintValidationError(gettext(
                        'sales_ops_policy.msg_complaint_deadline_negative',
                        severity=deadline.severity_string))

    @classmethod
    def deadlines(cls, received_at, severities):
        """The (acceptance, resolution) deadlines of a complaint received at
        received_at for each severity, from one read of the table"""
        table = {d.severity: d for d in cls.search([])}
        result = {}
        for severity in severities:
            deadline = table.get(severity)
            if deadline is None:
                result[severity] = (None, None)
            else:
                result[severity] = (
                    received_at + dt.timedelta(
                        hours=deadline.acceptance_hours),
                    received_at + dt.timedelta(
                        days=deadline.resolution_days))
        return result


class Complaint(metaclass=PoolMeta):
    __name__ = 'sale.complaint'
    _handling_states = {'readonly': Eval('state').in_(['done', 'cancelled'])}

    severity = fields.Selection(
        SEVERITIES, "Severity", required=True,
        states={'readonly': Eval('state') != 'draft'},
        help="Sets the deadlines to accept and to resolve the complaint.")
    severity_string = severity.translated('severity')
    owner = fields.Many2One(
        'company.employee', "Owner",
        domain=[('company', '=', Eval('company', -1))],
        states=_handling_states,
        help="The employee responsible for handling the complaint.")
    received_at = fields.DateTime(
        "Received At", readonly=True,
        help="When the complaint was received: when it was recorded, or the "
        "start of its date when recorded later.")
    acceptance_deadline = fields.DateTime(
        "Acceptance Deadline", readonly=True,
        help="Computed from the severity (P4.2.3).")
    resolution_deadline = fields.DateTime(
        "Resolution Deadline", readonly=True,
        help="Computed from the severity (P4.2.3).")
    accepted_at = fields.DateTime(
        "Accepted At", readonly=True,
        help="When the complaint was first accepted (left draft).")
    resolved_at = fields.DateTime(
        "Resolved At", readonly=True,
        help="When the complaint was done or rejected.")
    investigation = fields.Text(
        "Investigation", states=_handling_states,
        help="What was found out about the complaint.")
    cause = fields.Many2One(
        'sale.complaint.cause', "Cause", ondelete='RESTRICT',
        states=_handling_states)
    corrective_action = fields.Text(
        "Corrective Action", states=_handling_states,
        help="What is done so that it does not happen again.")
    resolution = fields.Text(
        "Resolution", states=_handling_states,
        help="How the complaint was resolved with the customer.")
    customer_satisfaction = fields.Integer(
        "Customer Satisfaction",
        help="From 1 (very dissatisfied) to 5 (very satisfied).")
    escalation = fields.Selection(
        ESCALATIONS, "Escalation", readonly=True, required=True)
    escalated_at = fields.DateTime("Escalated At", readonly=True)
    escalated_to = fields.Many2One(
        'company.employee', "Escalated To", readonly=True,
        ondelete='RESTRICT')
    overdue = fields.Function(fields.Boolean(
            "Overdue",
            help="Not accepted by the acceptance deadline or not resolved by "
            "the resolution deadline."),
        'get_overdue', searcher='search_overdue')

    del _handling_states

    @classmethod
    def default_severity(cls):
        return 'medium'

    @classmethod
    def default_owner(cls):
        return Transaction().context.get('employee')

    @classmethod
    def default_escalation(cls):
        return 'none'

    def _is_overdue(self, now):
        if (self.state == 'draft' and self.acceptance_deadline
                and self.acceptance_deadline < now):
            return True
        return bool(self.state in OPEN_STATES and self.resolution_deadline
            and self.resolution_deadline < now)

    @classmethod
    def get_overdue(cls, complaints, name):
        now = complaint_now()
        return {c.id: c._is_overdue(now) for c in complaints}

    @classmethod
    def search_overdue(cls, name, clause):
        _, operator, value = clause
        if operator not in {'=', '!='}:
            raise ValueError(f"Unsupported operator {operator!r}")
        now = complaint_now()
        if (operator == '=') == bool(value):
            return ['OR',
                [('state', '=', 'draft'),
                    ('acceptance_deadline', '<', now)],
                [('state', 'in', OPEN_STATES),
                    ('resolution_deadline', '<', now)],
                ]
        return [
            ['OR',
                ('state', '!=', 'draft'),
                ('acceptance_deadline', '=', None),
                ('acceptance_deadline', '>=', now),
                ],
            ['OR',
                ('state', 'not in', OPEN_STATES),
                ('resolution_deadline', '=', None),
                ('resolution_deadline', '>=', now),
                ],
            ]

    @classmethod
    def preprocess_values(cls, mode, values):
        pool = Pool()
        Date = pool.get('ir.date')
        values = super().preprocess_values(mode, values)
        if mode == 'create' and not values.get('received_at'):
            now = complaint_now()
            date = values.get('date')
            if date and date < Date.today():
                # recorded after the day it was received
                values['received_at'] = dt.datetime.combine(date, dt.time())
            else:
                values['received_at'] = now
        return values

    @classmethod
    def on_modification(cls, mode, complaints, field_names=None):
        super().on_modification(mode, complaints, field_names=field_names)
        if mode == 'create':
            cls.set_deadlines(complaints)
        elif mode == 'write' and field_names & {'severity', 'received_at'}:
            cls.set_deadlines([c for c in complaints if c.state == 'draft'])

    @classmethod
    def set_deadlines(cls, complaints):
        "Compute the deadlines of the complaints from their severity"
        pool = Pool()
        Deadline = pool.get('sale.complaint.deadline')
        by_received = defaultdict(list)
        for complaint in complaints:
            by_received[complaint.received_at].append(complaint)
        to_write = []
        for received_at, sub in by_received.items():
            if received_at is None:
                continue
            deadlines = Deadline.deadlines(
                received_at, {c.severity for c in sub})
            by_severity = defaultdict(list)
            for complaint in sub:
                by_severity[complaint.severity].append(complaint)
            for severity, records in by_severity.items():
                acceptance, resolution = deadlines[severity]
                to_write.extend([records, {
                            'acceptance_deadline': acceptance,
                            'resolution_deadline': resolution,
                            }])
        if to_write:
            cls.write(*to_write)

    @classmethod
    def validate_fields(cls, complaints, field_names):
        super().validate_fields(complaints, field_names)
        if not field_names or 'customer_satisfaction' in field_names:
            check_satisfaction(complaints, 'customer_satisfaction')

    @classmethod
    def copy(cls, complaints, default=None):
        default = default.copy() if default is not None else {}
        for name in [
                'received_at', 'acceptance_deadline', 'resolution_deadline',
                'accepted_at', 'resolved_at', 'customer_satisfaction',
                'escalated_at', 'escalated_to']:
            default.setdefault(name, None)
        default.setdefault('escalation', 'none')
        return super().copy(complaints, default=default)

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, complaints):
        super().draft(complaints)
        cls.write(complaints, {'resolved_at': None})

    @classmethod
    @ModelView.button
    @Workflow.transition('waiting')
    def wait(cls, complaints):
        super().wait(complaints)
        # accepted: the first time it leaves draft counts
        to_accept = [c for c in complaints if not c.accepted_at]
        if to_accept:
            cls.write(to_accept, {'accepted_at': complaint_now()})

    @classmethod
    @ModelView.button
    @Workflow.transition('rejected')
    def reject(cls, complaints):
        super().reject(complaints)
        cls.write(complaints, {'resolved_at': complaint_now()})

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    def process(cls, complaints):
        super().process(complaints)
        cls.write(complaints, {'resolved_at': complaint_now()})

    @classmethod
    def escalate_complaints(cls):
        """The daily task (P4.2.3): a complaint not accepted or not resolved
        by its deadline goes to the owner's supervisor, and when still open
        the configured number of days later, to the manager of the owner's
        sales team; each person escalated to gets an e-mail"""
        pool = Pool()
        Configuration = pool.get('sale.configuration')
        context = Transaction().context
        now = complaint_now()
        days = Configuration(1).complaint_escalation_days
        levels = [('escalation', '=', 'none')]
        if days is not None:
            levels.append([
                    ('escalation', '=', 'supervisor'),
                    ('escalated_at', '<=', now - dt.timedelta(days=days)),
                    ])
        domain = [
            ('state', 'in', OPEN_STATES),
            ('overdue', '=', True),
            ['OR', *levels],
            ]
        if context.get('company'):
            domain.append(('company', '=', context['company']))
        complaints = cls.search(domain, order=[('id', 'ASC')])

        groups = defaultdict(list)
        for complaint in complaints:
            owner = complaint.owner
            if complaint.escalation == 'none':
                level = 'supervisor'
                to = owner.supervisor if owner else None
            else:
                level = 'manager'
                team = owner.sales_team if owner else None
                to = team.manager if team else None
            groups[level, to.id if to else None].append(complaint)
        to_write = []
        for (level, to), records in groups.items():
            to_write.extend([records, {
                        'escalation': level,
                        'escalated_at': now,
                        'escalated_to': to,
                        }])
        if to_write:
            cls.write(*to_write)
        cls.notify_escalation(complaints)
        return complaints

    @classmethod
    def notify_escalation(cls, complaints):
        """E-mail each employee the complaints just escalated to them, through
        the notification e-mail "complaint_escalation_email" of this
        module"""
        by_employee = defaultdict(list)
        for complaint in complaints:
            if complaint.escalated_to:
                by_employee[complaint.escalated_to.id].append(complaint.id)
        return notify_employees(
            'complaint_escalation_email', by_employee, 'escalated_complaints')


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.extend([
                ('sale.complaint|escalate_complaints',
                    "Escalate Late Complaints"),
                ])


class EscalationReport(Report):
    "The complaints escalated to an employee (P4.2.3)"
    __name__ = 'sale.complaint.escalation'

    @classmethod
    def get_context(cls, records, header, data):
        pool = Pool()
        Complaint = pool.get('sale.complaint')
        context = super().get_context(records, header, data)
        ids = Transaction().context.get('escalated_complaints')
        if ids is None:
            complaints = Complaint.search([
                    ('escalated_to', 'in', [
                            e.id for u in records for e in u.employees]),
                    ('state', 'in', OPEN_STATES),
                    ])
        else:
            complaints = Complaint.browse(ids)
        context['complaints'] = complaints
        return context


class StatisticsContext(ModelView):
    "Complaint Statistics Context"
    __name__ = 'sale.complaint.statistics.context'
    __string__ = "Complaint Statistics Context"
    company = fields.Many2One('company.company', "Company", required=True)
    from_date = fields.Date(
        "From Date", required=True,
        domain=[('from_date', '<=', Eval('to_date', None))])
    to_date = fields.Date(
        "To Date", required=True,
        domain=[('to_date', '>=', Eval('from_date', None))],
        help="The complaints dated in the period count.")

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_from_date(cls):
        context = Transaction().context
        if 'from_date' in context:
            return context['from_date']
        return Pool().get('ir.date').today().replace(month=1, day=1)

    @classmethod
    def default_to_date(cls):
        return (Transaction().context.get('to_date')
            or Pool().get('ir.date').today())


def _days_between(end, start):
    "SQL: the days (fractional) from start to end, NULL if either is"
    if backend.name == 'sqlite':
        return _JulianDay(end) - _JulianDay(start)
    return Extract('EPOCH', end - start) / Literal(86400.0)


class StatisticsMixin:
    "Counts and times of the complaints dated in the period"
    __slots__ = ()
    company = fields.Many2One('company.company', "Company")
    complaints = fields.Integer("Complaints")
    resolved = fields.Integer(
        "Resolved", help="The complaints done or rejected.")
    overdue = fields.Integer(
        "Overdue", help="The open complaints past a deadline now.")
    acceptance_hours = fields.Float(
        "Average Hours to Accept", digits=(16, 1))
    resolution_days = fields.Float(
        "Average Days to Resolve", digits=(16, 1))
    satisfaction = fields.Float(
        "Average Satisfaction", digits=(16, 2),
        help="Of the complaints where it was recorded, from 1 to 5.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('complaints', 'DESC'), ('id', 'ASC')]

    @classmethod
    def _joins(cls, complaint):
        "The complaints joined to what the group column needs"
        return complaint, {'complaint': complaint}

    @classmethod
    def table_query(cls):
        pool = Pool()
        Complaint = pool.get('sale.complaint')
        complaint = Complaint.__table__()
        context = Transaction().context
        now = complaint_now()
        query, tables = cls._joins(complaint)
        table_name, column = cls._group_by
        group = getattr(tables[table_name], column)

        overdue = (
            ((complaint.state == 'draft')
                & (complaint.acceptance_deadline < now))
            | (complaint.state.in_(OPEN_STATES)
                & (complaint.resolution_deadline < now)))
        where = (complaint.state != 'cancelled') & (group != Null)
        if context.get('company'):
            where &= complaint.company == context['company']
        if context.get('from_date'):
            where &= complaint.date >= context['from_date']
        if context.get('to_date'):
            where &= complaint.date <= context['to_date']
        return query.select(
            group.as_('id'),
            group.as_(column),
            Max(complaint.company).as_('company'),
            Count(complaint.id).as_('complaints'),
            Sum(Case((complaint.resolved_at != Null, 1), else_=0)
                ).as_('resolved'),
            Sum(Case((overdue, 1), else_=0)).as_('overdue'),
            (Avg(_days_between(complaint.accepted_at, complaint.received_at))
                * Literal(24.0)).as_('acceptance_hours'),
            Avg(_days_between(complaint.resolved_at, complaint.received_at)
                ).as_('resolution_days'),
            Avg(complaint.customer_satisfaction * Literal(1.0)
                ).as_('satisfaction'),
            where=where,
            group_by=[group])


class StatisticsCause(StatisticsMixin, ModelSQL, ModelView):
    "Complaints per Cause"
    __name__ = 'sale.complaint.statistics.cause'
    __string__ = "Complaints per Cause"
    _group_by = ('complaint', 'cause')
    cause = fields.Many2One('sale.complaint.cause', "Cause")


class StatisticsCustomer(StatisticsMixin, ModelSQL, ModelView):
    "Complaints per Customer"
    __name__ = 'sale.complaint.statistics.customer'
    __string__ = "Complaints per Customer"
    _group_by = ('complaint', 'customer')
    customer = fields.Many2One(
        'party.party', "Customer",
        context={'company': Eval('company', -1)}, depends={'company'})


class StatisticsProduct(StatisticsMixin, ModelSQL, ModelView):
    """Complaints per Product

    The products a complaint is about are read from its origin: the product
    of the sale line, or the products of all the lines of the sale, each
    product counted once per complaint.  Complaints about invoices or
    invoice lines are not counted here."""
    __name__ = 'sale.complaint.statistics.product'
    __string__ = "Complaints per Product"
    _group_by = ('product', 'product')
    product = fields.Many2One(
        'product.product', "Product",
        context={'company': Eval('company', -1)}, depends={'company'})

    @classmethod
    def _joins(cls, complaint):
        pool = Pool()
        Complaint = pool.get('sale.complaint')
        Sale = pool.get('sale.sale')
        SaleLine = pool.get('sale.line')
        origin = Complaint.__table__()
        line = SaleLine.__table__()
        of_line = origin.join(line,
            condition=origin.origin.like('sale.line,%')
            & (Complaint.origin.sql_id(origin.origin, SaleLine) == line.id)
            ).select(origin.id.as_('complaint'), line.product.as_('product'))
        line = SaleLine.__table__()
        origin = Complaint.__table__()
        of_sale = origin.join(line,
            condition=origin.origin.like('sale.sale,%')
            & (Complaint.origin.sql_id(origin.origin, Sale) == line.sale)
            ).select(origin.id.as_('complaint'), line.product.as_('product'))
        product = Union(of_line, of_sale, all_=False)
        query = complaint.join(
            product, condition=product.complaint == complaint.id)
        return query, {'complaint': complaint, 'product': product}
