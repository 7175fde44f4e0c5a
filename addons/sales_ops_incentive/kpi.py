# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""KPI evaluation (P5.3): what is measured, the targets cascaded from the
department to the teams and the salespeople, the scorecards computed for
everyone at once, the objections raised before a period closes, and the
consequence of each rating band (P5.3.2)"""
import datetime as dt
from collections import defaultdict
from decimal import Decimal

from sql import Literal, Null, Window
from sql.aggregate import Count, Sum
from sql.conditionals import Coalesce
from sql.functions import RowNumber

from trytond import backend
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, Unique, Workflow, fields,
    sequence_ordered)
from trytond.model.fields import SQL_OPERATORS
from trytond.modules.company.model import employee_field, set_employee
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval, If
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

from sales_ops_policy.approval import _now
from sales_ops_policy.collection import _decimal
from sales_ops_policy.customer import SALE_STATES
from sales_ops_policy.model import ValidityMixin
from sales_ops_training.competency import ROLES

from .exceptions import KpiError, KpiValidationError

COMPUTATIONS = [
    ('revenue', "Revenue (Invoiced, Untaxed)"),
    ('gross_profit', "Gross Profit"),
    ('growth', "Growth Rate versus Last Year"),
    ('new_customers', "New Customers"),
    ('satisfaction', "Customer Satisfaction"),
    ('collection_rate', "Collection Rate"),
    ('training_completion', "Training Completion Rate"),
    ('training_pass', "Training Pass Rate"),
    ]
# the computations whose figures add up from people to teams to the
# department; the others are rates, whose targets are not summed
ADDITIVE = {'revenue', 'gross_profit', 'new_customers'}
# actual = numerator ÷ denominator × factor for the rates
FACTORS = {
    'growth': 100,
    'collection_rate': 100,
    'training_completion': 100,
    'training_pass': 100,
    'satisfaction': 1,
    }
PERIOD_TYPES = [
    ('month', "Month"),
    ('quarter', "Quarter"),
    ('year', "Year"),
    ]
SCOPES = [
    ('employee', "Person"),
    ('team', "Team"),
    ('company', "Department"),
    ]
# the weights of a team's scorecard are its supervisor's, the
# department's its manager's
SCOPE_ROLES = {'team': 'supervisor', 'company': 'manager'}
CONSEQUENCES = [
    (None, "None"),
    ('recognition', "Recognition"),
    ('coaching', "Coaching Plan"),
    ]
_HUNDRED = Decimal(100)
_CENT = Decimal('0.01')


def _round(value):
    return Decimal(value).quantize(_CENT) if value is not None else None


def _last_year(date):
    try:
        return date.replace(year=date.year - 1)
    except ValueError:
        # 29 February
        return date.replace(year=date.year - 1, day=28)


class Configuration(metaclass=PoolMeta):
    __name__ = 'sale.configuration'
    kpi_achievement_cap = fields.Numeric(
        "Achievement Cap", digits=(16, 2), required=True,
        domain=[('kpi_achievement_cap', '>=', 100)],
        help="The achievement % a KPI counts for at most in the score, so "
        "that one figure does not make up for all the others.")

    @classmethod
    def default_kpi_achievement_cap(cls):
        return Decimal(150)


class Kpi(DeactivableMixin, sequence_ordered(), ModelSQL, ModelView):
    "Key Performance Indicator"
    __name__ = 'sale.kpi'
    __string__ = "Key Performance Indicator"
    name = fields.Char("Name", required=True, translate=True)
    code = fields.Char("Code", required=True)
    computation = fields.Selection(
        COMPUTATIONS, "Computation", required=True,
        help="How the actual figure is measured from the records.")
    computation_string = computation.translated('computation')
    additive = fields.Function(fields.Boolean(
            "Additive",
            help="The figures of the people add up to their team's and the "
            "teams' to the department's; so must the targets."),
        'on_change_with_additive')
    unit = fields.Function(fields.Char("Unit"), 'on_change_with_unit')
    competency = fields.Many2One(
        'sale.competency', "Competency", ondelete='SET NULL',
        help="The competency trained when a salesperson falls short on "
        "the KPI (P5.3.2).")
    description = fields.Text("Description", translate=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_unique', Unique(t, t.code),
                'sales_ops_incentive.msg_kpi_code_unique'),
            ]

    @fields.depends('computation')
    def on_change_with_additive(self, name=None):
        return self.computation in ADDITIVE

    @fields.depends('computation')
    def on_change_with_unit(self, name=None):
        if self.computation in {'revenue', 'gross_profit'}:
            return '¤'
        elif self.computation == 'new_customers':
            return '#'
        elif self.computation == 'satisfaction':
            return '/5'
        return '%'

    @classmethod
    def measure(cls, kpis, company, start, end):
        """{kpi id: {employee id: (numerator, denominator)}} measured
        between start and end for every employee of company at once; the
        records without salesperson are under None"""
        computations = {k.computation for k in kpis}
        figures = {}
        for computation in computations:
            figures[computation] = getattr(cls, f'_measure_{computation}')(
                company, start, end)
        return {k.id: figures[k.computation] for k in kpis}

    @classmethod
    def value(cls, computation, numerator, denominator):
        "The figure of numerator and denominator, None without a basis"
        if computation in ADDITIVE:
            return _round(numerator)
        if not denominator:
            return None
        return _round(
            Decimal(numerator) / Decimal(denominator)
            * FACTORS[computation])

    @classmethod
    def _invoiced_lines(cls, company, start, end):
        """Query of the posted customer invoice lines dated between start
        and end with the salesperson of their order, the date and their
        untaxed amount (credit notes negative)"""
        pool = Pool()
        Invoice = pool.get('account.invoice')
        InvoiceLine = pool.get('account.invoice.line')
        Sale = pool.get('sale.sale')
        SaleLine = pool.get('sale.line')
        invoice = Invoice.__table__()
        line = InvoiceLine.__table__()
        sale_line = SaleLine.__table__()
        sale = Sale.__table__()
        return invoice.join(line, condition=line.invoice == invoice.id
            ).join(sale_line, 'LEFT', condition=(
                line.origin.like('sale.line,%')
                & (InvoiceLine.origin.sql_id(line.origin, SaleLine)
                    == sale_line.id))
            ).join(sale, 'LEFT', condition=sale.id == sale_line.sale
            ).select(
                sale.employee.as_('employee'),
                invoice.invoice_date.as_('date'),
                line.product.as_('product'),
                line.quantity.as_('quantity'),
                (line.quantity * line.unit_price).as_('amount'),
                where=(invoice.company == company.id)
                & (invoice.type == 'out')
                & invoice.state.in_(['posted', 'paid'])
                & (line.type == 'line')
                & (invoice.invoice_date >= start)
                & (invoice.invoice_date <= end))

    @classmethod
    def _sum_by_employee(cls, query, *columns):
        cursor = Transaction().connection.cursor()
        cursor.execute(*query.select(
                query.employee, *(Sum(c) for c in columns),
                group_by=[query.employee]))
        return {e: tuple(_decimal(v) for v in values)
            for e, *values in cursor}

    @classmethod
    def _measure_revenue(cls, company, start, end):
        lines = cls._invoiced_lines(company, start, end)
        return {e: (v, 1) for e, (v,) in cls._sum_by_employee(
                lines, lines.amount).items()}

    @classmethod
    def _profit_lines(cls, company, start, end):
        """Query of the invoiced lines with their gross profit: the amount
        minus the quantity at the product's cost price"""
        pool = Pool()
        CostPrice = pool.get('product.cost_price')
        cost_price = CostPrice.__table__()
        lines = cls._invoiced_lines(company, start, end)
        return lines.join(cost_price, 'LEFT', condition=(
                cost_price.product == lines.product)
            & (cost_price.company == company.id)
            ).select(
                lines.employee.as_('employee'),
                lines.date.as_('date'),
                (lines.amount - lines.quantity
                    * Coalesce(cost_price.cost_price, 0)).as_('amount'))

    @classmethod
    def _measure_gross_profit(cls, company, start, end):
        "Revenue minus the quantity invoiced at the product's cost price"
        query = cls._profit_lines(company, start, end)
        return {e: (v, 1) for e, (v,) in cls._sum_by_employee(
                query, query.amount).items()}

    @classmethod
    def _measure_growth(cls, company, start, end):
        "(revenue − last year's, last year's) of the same dates"
        current = cls._measure_revenue(company, start, end)
        previous = cls._measure_revenue(
            company, _last_year(start), _last_year(end))
        result = {}
        for employee in current.keys() | previous.keys():
            now = current.get(employee, (Decimal(0),))[0]
            before = previous.get(employee, (Decimal(0),))[0]
            result[employee] = (now - before, before)
        return result

    @classmethod
    def _measure_new_customers(cls, company, start, end):
        "The customers whose first confirmed order is in the period"
        pool = Pool()
        Sale = pool.get('sale.sale')
        sale = Sale.__table__()
        cursor = Transaction().connection.cursor()
        ranked = sale.select(
            sale.employee, sale.sale_date,
            RowNumber(window=Window([sale.party],
                    order_by=[sale.sale_date.asc, sale.id.asc])
                ).as_('rank'),
            where=(sale.company == company.id)
            & sale.state.in_(SALE_STATES))
        cursor.execute(*ranked.select(
                ranked.employee, Count(ranked.rank),
                where=(ranked.rank == 1)
                & (ranked.sale_date >= start) & (ranked.sale_date <= end),
                group_by=[ranked.employee]))
        return {e: (Decimal(n), 1) for e, n in cursor}

    @classmethod
    def _measure_satisfaction(cls, company, start, end):
        """(sum, count) of the satisfaction of the revisits done and the
        complaints resolved in the period: a complaint counts for the
        salesperson of the order it is about, else for its owner"""
        pool = Pool()
        Revisit = pool.get('sale.customer.revisit')
        Complaint = pool.get('sale.complaint')
        Sale = pool.get('sale.sale')
        SaleLine = pool.get('sale.line')
        revisit = Revisit.__table__()
        complaint = Complaint.__table__()
        sale_line = SaleLine.__table__()
        line_sale = Sale.__table__()
        sale = Sale.__table__()
        result = defaultdict(lambda: (Decimal(0), Decimal(0)))
        revisits = revisit.select(
            revisit.employee.as_('employee'),
            revisit.satisfaction.as_('satisfaction'),
            where=(revisit.company == company.id)
            & (revisit.state == 'done')
            & (revisit.satisfaction != Null)
            & (revisit.date >= start) & (revisit.date <= end))
        complaints = complaint.join(sale_line, 'LEFT', condition=(
                complaint.origin.like('sale.line,%')
                & (Complaint.origin.sql_id(complaint.origin, SaleLine)
                    == sale_line.id))
            ).join(line_sale, 'LEFT',
                condition=line_sale.id == sale_line.sale
            ).join(sale, 'LEFT', condition=(
                complaint.origin.like('sale.sale,%')
                & (Complaint.origin.sql_id(complaint.origin, Sale)
                    == sale.id))
            ).select(
                Coalesce(line_sale.employee, sale.employee,
                    complaint.owner).as_('employee'),
                complaint.customer_satisfaction.as_('satisfaction'),
                where=(complaint.company == company.id)
                & (complaint.customer_satisfaction != Null)
                & (complaint.resolved_at
                    >= dt.datetime.combine(start, dt.time.min))
                & (complaint.resolved_at
                    <= dt.datetime.combine(end, dt.time.max)))
        for query in [revisits, complaints]:
            for employee, (total, count) in cls._sum_by_employee(
                    query, query.satisfaction, Literal(1)).items():
                before = result[employee]
                result[employee] = (before[0] + total, before[1] + count)
        return dict(result)

    @classmethod
    def _measure_collection_rate(cls, company, start, end):
        """(collected on time, due) of the collection stages due in the
        period, as the collection rate report counts them (P3.5.3)"""
        pool = Pool()
        Rate = pool.get('sale.collection.rate.employee')
        cursor = Transaction().connection.cursor()
        with Transaction().set_context(
                company=company.id, from_date=start, to_date=end):
            rate = Rate.table_query()
        cursor.execute(*rate.select(
                rate.employee, rate.amount_on_time, rate.amount_due))
        return {e: (_decimal(on_time), _decimal(due))
            for e, on_time, due in cursor}

    @classmethod
    def _training_results(cls, company, start, end):
        pool = Pool()
        Employee = pool.get('company.employee')
        Enrolment = pool.get('sale.training.enrolment')
        employees = Employee.search([('company', '=', company.id)])
        return Enrolment.results(employees, start, end)

    @classmethod
    def _measure_training_completion(cls, company, start, end):
        return {e: (completed, enrolled) for e, (enrolled, completed, _)
            in cls._training_results(company, start, end).items()}

    @classmethod
    def _measure_training_pass(cls, company, start, end):
        return {e: (passed, completed) for e, (_, completed, passed)
            in cls._training_results(company, start, end).items()}


class Scheme(ValidityMixin, ModelSQL, ModelView):
    "KPI Scheme"
    __name__ = 'sale.kpi.scheme'
    __string__ = "KPI Scheme"
    company = fields.Many2One('company.company', "Company", required=True)
    role = fields.Selection(
        ROLES, "Role", required=True,
        help="Whose scorecards the weights apply to; a team's scorecard "
        "takes the supervisor's, the department's the manager's.")
    role_string = role.translated('role')
    lines = fields.One2Many('sale.kpi.scheme.line', 'scheme', "KPIs")
    total_weight = fields.Function(
        fields.Numeric("Total Weight", digits=(16, 2)),
        'on_change_with_total_weight')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('role', 'ASC'), ('start_date', 'DESC'), ('id', 'DESC')]

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @fields.depends('lines')
    def on_change_with_total_weight(self, name=None):
        return sum((line.weight or 0 for line in self.lines or []),
            Decimal(0))

    def get_rec_name(self, name):
        return f'{self.role_string} ({self.start_date})'

    @classmethod
    def validate_fields(cls, schemes, field_names):
        super().validate_fields(schemes, field_names)
        cls.check_weights(schemes)

    @classmethod
    def check_weights(cls, schemes):
        "The weights of a scheme sum to 100 (P5.3.1)"
        for scheme in schemes:
            if scheme.lines and scheme.total_weight != _HUNDRED:
                raise KpiValidationError(gettext(
                        'sales_ops_incentive.msg_scheme_weights',
                        scheme=scheme.rec_name,
                        total=scheme.total_weight))

    @classmethod
    def of(cls, company, date):
        "{role: scheme} valid on date"
        with Transaction().set_context(date=date):
            schemes = cls.search([
                    ('company', '=', company.id),
                    ('current', '=', True),
                    ], order=[('start_date', 'ASC')])
        return {s.role: s for s in schemes}


class SchemeLine(ModelSQL, ModelView):
    "KPI Scheme Line"
    __name__ = 'sale.kpi.scheme.line'
    __string__ = "KPI Scheme Line"
    scheme = fields.Many2One(
        'sale.kpi.scheme', "Scheme", required=True, ondelete='CASCADE')
    kpi = fields.Many2One(
        'sale.kpi', "KPI", required=True, ondelete='RESTRICT')
    weight = fields.Numeric(
        "Weight", digits=(16, 2), required=True,
        domain=[('weight', '>', 0)],
        help="The KPI's share of the total score, in %.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('scheme')
        t = cls.__table__()
        cls._sql_constraints += [
            ('kpi_unique', Unique(t, t.scheme, t.kpi),
                'sales_ops_incentive.msg_scheme_kpi_unique'),
            ]

    @classmethod
    def validate_fields(cls, lines, field_names):
        super().validate_fields(lines, field_names)
        Pool().get('sale.kpi.scheme').check_weights(
            list({line.scheme for line in lines}))


class Band(sequence_ordered(), ModelSQL, ModelView):
    "Rating Band"
    __name__ = 'sale.kpi.band'
    __string__ = "Rating Band"
    name = fields.Char("Name", required=True, translate=True)
    minimum = fields.Numeric(
        "Minimum Score", digits=(16, 2), required=True,
        help="The total score from which a scorecard is in the band.")
    consequence = fields.Selection(
        CONSEQUENCES, "Consequence",
        help="What follows for the people in the band when the period "
        "closes (P5.3.2).")
    consequence_string = consequence.translated('consequence')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('minimum', 'DESC'), ('id', 'ASC')]

    @classmethod
    def of_score(cls, bands, score):
        "The band of score among bands sorted by minimum descending"
        for band in bands:
            if score >= band.minimum:
                return band


class Period(Workflow, ModelSQL, ModelView):
    "KPI Period"
    __name__ = 'sale.kpi.period'
    __string__ = "KPI Period"
    _states = {'readonly': Eval('state') != 'draft'}
    company = fields.Many2One(
        'company.company', "Company", required=True, states=_states)
    name = fields.Char("Name", required=True, states=_states)
    type = fields.Selection(
        PERIOD_TYPES, "Type", required=True, states=_states)
    type_string = type.translated('type')
    start_date = fields.Date("Start Date", required=True, states=_states)
    end_date = fields.Date(
        "End Date", required=True, states=_states,
        domain=[If(Eval('start_date'),
                ('end_date', '>=', Eval('start_date')), ())])
    targets = fields.One2Many(
        'sale.kpi.target', 'period', "Targets",
        states={'readonly': Eval('state') == 'closed'})
    scorecards = fields.One2Many(
        'sale.kpi.scorecard', 'period', "Scorecards", readonly=True)
    computed_at = fields.Timestamp("Computed At", readonly=True)
    opened_by = employee_field("Opened By", states=['open', 'closed'])
    opened_at = fields.Timestamp("Opened At", readonly=True)
    closed_by = employee_field("Closed By", states=['closed'])
    closed_at = fields.Timestamp("Closed At", readonly=True)
    state = fields.Selection([
            ('draft', "Setting Targets"),
            ('open', "Open"),
            ('closed', "Closed"),
            ], "State", readonly=True, required=True, sort=False)
    state_string = state.translated('state')
    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('start_date', 'DESC'), ('type', 'ASC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'open'),
            ('open', 'draft'),
            ('open', 'closed'),
            }
        cls._buttons.update({
                'open': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'draft': {
                    'invisible': Eval('state') != 'open',
                    'depends': ['state'],
                    },
                'compute': {
                    'invisible': Eval('state') != 'open',
                    'depends': ['state'],
                    },
                'close': {
                    'invisible': Eval('state') != 'open',
                    'readonly': ~Bool(Eval('computed_at')),
                    'depends': ['state', 'computed_at'],
                    },
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_type(cls):
        return 'month'

    def get_rec_name(self, name):
        return self.name

    @classmethod
    def check_modification(cls, mode, periods, values=None, external=False):
        super().check_modification(
            mode, periods, values=values, external=external)
        if mode == 'delete':
            for period in periods:
                if period.state != 'draft':
                    raise KpiError(gettext(
                            'sales_ops_incentive.msg_period_delete',
                            period=period.rec_name))

    @classmethod
    def previous(cls, period):
        "The period of the same type just before period"
        periods = cls.search([
                ('company', '=', period.company.id),
                ('type', '=', period.type),
                ('end_date', '<', period.start_date),
                ], order=[('end_date', 'DESC')], limit=1)
        return periods[0] if periods else None

    @classmethod
    def create_year(cls, company, year):
        "The months, quarters and the year of year, those missing"
        periods = []
        for month in range(1, 13):
            start = dt.date(year, month, 1)
            end = (start + dt.timedelta(days=32)).replace(day=1) \
                - dt.timedelta(days=1)
            periods.append(('month', f'{year}-{month:02d}', start, end))
        for quarter in range(4):
            start = dt.date(year, quarter * 3 + 1, 1)
            end = (dt.date(year, quarter * 3 + 3, 1)
                + dt.timedelta(days=32)).replace(day=1) \
                - dt.timedelta(days=1)
            periods.append(('quarter', f'{year}-Q{quarter + 1}', start, end))
        periods.append(
            ('year', str(year), dt.date(year, 1, 1), dt.date(year, 12, 31)))
        existing = {(p.type, p.start_date) for p in cls.search([
                    ('company', '=', company.id),
                    ('start_date', '>=', dt.date(year, 1, 1)),
                    ('start_date', '<=', dt.date(year, 12, 31)),
                    ])}
        return cls.create([{
                    'company': company.id,
                    'type': type_,
                    'name': name,
                    'start_date': start,
                    'end_date': end,
                    } for type_, name, start, end in periods
                if (type_, start) not in existing])

    @classmethod
    @ModelView.button
    @Workflow.transition('open')
    @set_employee('opened_by')
    def open(cls, periods):
        "Open the period for scoring once its targets add up (P5.3.1)"
        pool = Pool()
        Target = pool.get('sale.kpi.target')
        Target.check_cascade(Target.search([
                    ('period', 'in', [p.id for p in periods]),
                    ]))
        cls.write(periods, {'opened_at': _now()})

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, periods):
        pool = Pool()
        Scorecard = pool.get('sale.kpi.scorecard')
        Scorecard.clear(periods)
        cls.write(periods, {'computed_at': None, 'opened_at': None})

    @classmethod
    @ModelView.button
    def compute(cls, periods):
        "(Re)compute the scorecards of open periods"
        pool = Pool()
        Scorecard = pool.get('sale.kpi.scorecard')
        for period in periods:
            if period.state != 'open':
                raise KpiError(gettext(
                        'sales_ops_incentive.msg_period_compute_state',
                        period=period.rec_name,
                        state=period.state_string))
        Scorecard.compute(periods)
        cls.write(periods, {'computed_at': _now()})

    @classmethod
    @ModelView.button
    @Workflow.transition('closed')
    @set_employee('closed_by')
    def close(cls, periods):
        """Freeze the scorecards once no objection is open and apply the
        consequence of each band (P5.3.2)"""
        pool = Pool()
        Objection = pool.get('sale.kpi.objection')
        Scorecard = pool.get('sale.kpi.scorecard')
        for period in periods:
            if not period.computed_at:
                raise KpiError(gettext(
                        'sales_ops_incentive.msg_period_close_not_computed',
                        period=period.rec_name))
        objections = Objection.search([
                ('period', 'in', [p.id for p in periods]),
                ('state', '=', 'open'),
                ], limit=1)
        if objections:
            objection, = objections
            raise KpiError(gettext(
                    'sales_ops_incentive.msg_period_close_objection',
                    period=objection.period.rec_name,
                    objection=objection.rec_name))
        cls.write(periods, {'closed_at': _now()})
        Scorecard.apply_consequences(Scorecard.search([
                    ('period', 'in', [p.id for p in periods]),
                    ('scope', '=', 'employee'),
                    ]))


class Target(ModelSQL, ModelView):
    "KPI Target"
    __name__ = 'sale.kpi.target'
    __string__ = "KPI Target"
    _states = {'readonly': Eval('period_state') != 'draft'}
    period = fields.Many2One(
        'sale.kpi.period', "Period", required=True, ondelete='CASCADE',
        states=_states)
    period_state = fields.Function(fields.Selection(
            'get_period_states', "Period State"),
        'on_change_with_period_state')
    company = fields.Function(fields.Many2One(
            'company.company', "Company"), 'on_change_with_company',
        searcher='search_company')
    kpi = fields.Many2One(
        'sale.kpi', "KPI", required=True, ondelete='RESTRICT',
        states=_states)
    scope = fields.Selection(SCOPES, "Scope", required=True, states=_states)
    scope_string = scope.translated('scope')
    team = fields.Many2One(
        'sale.team', "Team", ondelete='RESTRICT',
        domain=[('company', '=', Eval('company', -1))],
        states={
            'readonly': _states['readonly'],
            'required': Eval('scope') == 'team',
            'invisible': Eval('scope') == 'company',
            },
        help="The team of the target, or of the salesperson.")
    employee = fields.Many2One(
        'company.employee', "Salesperson", ondelete='RESTRICT',
        domain=[('company', '=', Eval('company', -1))],
        states={
            'readonly': _states['readonly'],
            'required': Eval('scope') == 'employee',
            'invisible': Eval('scope') != 'employee',
            })
    value = fields.Numeric(
        "Target", digits=(16, 2), required=True, states=_states)
    actual = fields.Function(fields.Numeric(
            "Actual to Date", digits=(16, 2),
            help="The figure measured so far in the period."),
        'get_coverage')
    remaining = fields.Function(fields.Numeric(
            "Remaining Target", digits=(16, 2)), 'get_coverage')
    pipeline = fields.Function(fields.Numeric(
            "Expected Pipeline", digits=(16, 2),
            help="The open opportunities expected to close in the period, "
            "amount × probability."), 'get_coverage')
    coverage = fields.Function(fields.Float(
            "Pipeline Coverage", digits=(16, 2),
            help="Expected pipeline ÷ remaining revenue target; below 1 "
            "the pipeline cannot make the target."), 'get_coverage')
    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('period', 'DESC'), ('kpi', 'ASC'), ('scope', 'DESC'),
            ('id', 'ASC')]
        t = cls.__table__()
        cls._sql_constraints += [
            ('target_unique',
                Unique(t, t.period, t.kpi, t.scope, t.team, t.employee),
                'sales_ops_incentive.msg_target_unique'),
            ]

    @classmethod
    def default_scope(cls):
        return 'employee'

    @classmethod
    def get_period_states(cls):
        return Pool().get('sale.kpi.period').fields_get(
            ['state'])['state']['selection']

    @fields.depends('period', '_parent_period.state')
    def on_change_with_period_state(self, name=None):
        return self.period.state if self.period else None

    @fields.depends('period', '_parent_period.company')
    def on_change_with_company(self, name=None):
        return self.period.company if self.period else None

    @classmethod
    def search_company(cls, name, clause):
        return [('period.company' + clause[0][len(name):], *clause[1:])]

    @fields.depends('employee', 'period', '_parent_period.end_date')
    def on_change_employee(self):
        pool = Pool()
        Member = pool.get('sale.team.member')
        if self.employee and self.period:
            team = Member.teams_of([self.employee], self.period.start_date,
                self.period.end_date).get(self.employee.id)
            self.team = team

    def get_rec_name(self, name):
        who = (self.employee or self.team)
        who = who.rec_name if who else self.scope_string
        return f'{self.period.rec_name} {self.kpi.rec_name} {who}'

    @classmethod
    def validate_fields(cls, targets, field_names):
        super().validate_fields(targets, field_names)
        for target in targets:
            if target.value is not None and target.value <= 0:
                raise KpiValidationError(gettext(
                        'sales_ops_incentive.msg_target_positive',
                        target=target.rec_name, value=target.value))
        if not field_names or 'period' in field_names:
            cls.check_period_draft(targets)

    @classmethod
    def check_modification(cls, mode, targets, values=None, external=False):
        super().check_modification(
            mode, targets, values=values, external=external)
        if mode in {'write', 'delete'}:
            cls.check_period_draft(targets)

    @classmethod
    def check_period_draft(cls, targets):
        "Targets are set before the period opens, when they cascade"
        for target in targets:
            if target.period.state != 'draft':
                raise KpiError(gettext(
                        'sales_ops_incentive.msg_target_period_state',
                        target=target.rec_name,
                        period=target.period.rec_name,
                        state=target.period.state_string))

    @classmethod
    def check_cascade(cls, targets):
        """The targets of the teams add up to the department's, those of
        each team's salespeople to the team's, for the additive KPIs"""
        pool = Pool()
        Lang = pool.get('ir.lang')
        lang = Lang.get()
        tops, totals, counts = {}, defaultdict(Decimal), defaultdict(int)
        for target in targets:
            if not target.kpi.additive:
                continue
            key = (target.period.id, target.kpi.id)
            if target.scope == 'company':
                tops[key] = target
            elif target.scope == 'team':
                tops[(*key, target.team.id)] = target
                totals[key] += target.value
                counts[key] += 1
            else:
                team_key = (*key, target.team.id if target.team else None)
                totals[team_key] += target.value
                counts[team_key] += 1
        for key, total in totals.items():
            top = tops.get(key)
            if not top:
                continue
            # each rounded share may be off by a cent
            if abs(top.value - total) > _CENT * counts[key]:
                raise KpiError(gettext(
                        'sales_ops_incentive.msg_target_cascade',
                        target=top.rec_name,
                        value=lang.format_number(
                            top.value, digits=2, grouping=True),
                        total=lang.format_number(
                            total, digits=2, grouping=True)))

    @classmethod
    def get_coverage(cls, targets, names):
        """Per revenue target the actual revenue to date, what remains of
        the target and the open pipeline expected in the period (P5.3.1)"""
        pool = Pool()
        Kpi = pool.get('sale.kpi')
        Member = pool.get('sale.team.member')
        Opportunity = pool.get('sale.opportunity')
        Date = pool.get('ir.date')
        opportunity = Opportunity.__table__()
        cursor = Transaction().connection.cursor()
        result = {n: dict.fromkeys(map(int, targets)) for n in names}
        by_period = defaultdict(list)
        for target in targets:
            if target.kpi.computation == 'revenue':
                by_period[target.period].append(target)
        for period, period_targets in by_period.items():
            today = Date.today()
            actual = Kpi._measure_revenue(
                period.company, period.start_date,
                min(period.end_date, today))
            cursor.execute(*opportunity.select(
                    opportunity.employee,
                    Sum(opportunity.amount
                        * opportunity.conversion_probability),
                    where=(opportunity.company == period.company.id)
                    & opportunity.state.in_(
                        ['lead', 'opportunity', 'converted'])
                    & (opportunity.end_date >= max(period.start_date, today))
                    & (opportunity.end_date <= period.end_date),
                    group_by=[opportunity.employee]))
            pipeline = {e: _decimal(a) for e, a in cursor}
            teams = Member.teams_of([], period.start_date, period.end_date)

            def total(figures, target):
                if target.scope == 'employee':
                    return figures.get(target.employee.id, Decimal(0))
                elif target.scope == 'team':
                    return sum((v for e, v in figures.items()
                            if teams.get(e) == target.team.id), Decimal(0))
                return sum(figures.values(), Decimal(0))

            actual = {e: v for e, (v, _) in actual.items()}
            for target in period_targets:
                done = _round(total(actual, target))
                remaining = max(target.value - done, Decimal(0))
                expected = _round(total(pipeline, target))
                values = {
                    'actual': done,
                    'remaining': remaining,
                    'pipeline': expected,
                    'coverage': (float(expected / remaining)
                        if remaining else None),
                    }
                for name in names:
                    result[name][target.id] = values[name]
        return result

    @classmethod
    def copy_to(cls, from_period, to_period, growth):
        """Copy the targets of from_period missing in to_period, the
        additive ones grown by growth % (P5.3.1)"""
        if to_period.state != 'draft':
            raise KpiError(gettext(
                    'sales_ops_incentive.msg_target_copy_state',
                    period=to_period.rec_name))
        factor = 1 + Decimal(growth) / _HUNDRED
        existing = {(t.kpi.id, t.scope, t.team, t.employee)
            for t in to_period.targets}
        values = []
        for target in from_period.targets:
            key = (target.kpi.id, target.scope, target.team, target.employee)
            if key in existing:
                continue
            value = target.value
            if target.kpi.additive:
                value = _round(value * factor)
            values.append({
                    'period': to_period.id,
                    'kpi': target.kpi.id,
                    'scope': target.scope,
                    'team': target.team.id if target.team else None,
                    'employee': (
                        target.employee.id if target.employee else None),
                    'value': value,
                    })
        cls._align_copied(from_period.targets, values)
        return cls.create(values)

    @classmethod
    def _align_copied(cls, sources, values):
        """Set the copied team and department targets of the additive KPIs
        to the sum of the copied ones below them, where they added up in
        the source: each grown target is rounded apart, and the cents would
        drift from one copy to the next until the period could not open"""
        def parent(kpi, scope, team):
            if scope == 'employee':
                return (kpi, 'team', team)
            elif scope == 'team':
                return (kpi, 'company', None)

        def totals(rows):
            values, sums, counts = {}, defaultdict(Decimal), defaultdict(int)
            for kpi, scope, team, value in rows:
                values[(kpi, scope, team)] = value
                key = parent(kpi, scope, team)
                if key:
                    sums[key] += value
                    counts[key] += 1
            return values, sums, counts

        additive = {t.kpi.id for t in sources if t.kpi.additive}
        source_values, source_sums, counts = totals(
            (t.kpi.id, t.scope, t.team.id if t.team else None, t.value)
            for t in sources if t.kpi.id in additive)
        consistent = {key for key, total in source_sums.items()
            if key in source_values
            and abs(source_values[key] - total) <= _CENT * counts[key]}
        # the teams first: the department adds up the aligned teams
        for scope in ['team', 'company']:
            _, sums, copied = totals(
                (v['kpi'], v['scope'], v['team'], v['value'])
                for v in values if v['kpi'] in additive)
            for value in values:
                key = (value['kpi'], value['scope'],
                    value['team'] if scope == 'team' else None)
                # all those below copied, none kept from the period
                if value['scope'] == scope and key in consistent \
                        and copied[key] == counts[key]:
                    value['value'] = sums[key]


class TeamMember(metaclass=PoolMeta):
    __name__ = 'sale.team.member'

    @classmethod
    def teams_of(cls, employees, start, end):
        """{employee id: team id} of the membership of the employees (all
        when empty) over start to end: the latest one to start"""
        member = cls.__table__()
        cursor = Transaction().connection.cursor()
        where = ((member.start_date <= end)
            & (Coalesce(member.end_date, dt.date.max) >= start))
        result = {}
        ids = [int(e) for e in employees]
        for sub in (grouped_slice(ids, backend.MAX_QUERY_PARAMS)
                if ids else [None]):
            sub_where = where
            if sub is not None:
                sub_where &= SQL_OPERATORS['in'](member.employee, list(sub))
            cursor.execute(*member.select(
                    member.employee, member.team,
                    where=sub_where,
                    order_by=[member.start_date.asc, member.id.asc]))
            result.update(cursor)
        return result


class Scorecard(ModelSQL, ModelView):
    "KPI Scorecard"
    __name__ = 'sale.kpi.scorecard'
    __string__ = "KPI Scorecard"
    company = fields.Many2One(
        'company.company', "Company", required=True, readonly=True)
    period = fields.Many2One(
        'sale.kpi.period', "Period", required=True, readonly=True,
        ondelete='CASCADE')
    period_type = fields.Function(
        fields.Selection(PERIOD_TYPES, "Period Type"),
        'on_change_with_period_type', searcher='search_period_field')
    period_state = fields.Function(fields.Selection(
            'get_period_states', "Period State"),
        'on_change_with_period_state', searcher='search_period_field')
    scope = fields.Selection(SCOPES, "Scope", required=True, readonly=True)
    scope_string = scope.translated('scope')
    employee = fields.Many2One(
        'company.employee', "Salesperson", readonly=True)
    team = fields.Many2One('sale.team', "Team", readonly=True)
    role = fields.Selection(ROLES, "Role", readonly=True)
    role_string = role.translated('role')
    lines = fields.One2Many(
        'sale.kpi.scorecard.line', 'scorecard', "KPIs", readonly=True)
    total_score = fields.Numeric(
        "Total Score", digits=(16, 2), readonly=True,
        help="The sum of the weighted scores; the KPIs without basis in "
        "the period are left out and the others scaled to 100.")
    rank = fields.Integer(
        "Rank", readonly=True,
        help="Among the scorecards of the same scope in the period.")
    band = fields.Many2One(
        'sale.kpi.band', "Rating Band", readonly=True, ondelete='RESTRICT')
    objections = fields.One2Many(
        'sale.kpi.objection', 'scorecard', "Objections", readonly=True)
    coaching = fields.Many2One(
        'sale.kpi.coaching', "Coaching Plan", readonly=True)
    recognition = fields.Boolean(
        "Recognised", readonly=True,
        help="Recognised for the top band when the period closed.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('period', 'DESC'), ('scope', 'ASC'), ('rank', 'ASC'),
            ('id', 'ASC')]

    @fields.depends('period', '_parent_period.type')
    def on_change_with_period_type(self, name=None):
        return self.period.type if self.period else None

    @fields.depends('period', '_parent_period.state')
    def on_change_with_period_state(self, name=None):
        return self.period.state if self.period else None

    @classmethod
    def get_period_states(cls):
        return Pool().get('sale.kpi.period').fields_get(
            ['state'])['state']['selection']

    @classmethod
    def search_period_field(cls, name, clause):
        nested = name[len('period_'):]
        return [(f'period.{nested}', *clause[1:])]

    def get_rec_name(self, name):
        who = self.employee or self.team or self.company
        return f'{self.period.rec_name} - {who.rec_name}'

    @classmethod
    def check_modification(cls, mode, scorecards, values=None,
            external=False):
        super().check_modification(
            mode, scorecards, values=values, external=external)
        if mode == 'delete' and external:
            for scorecard in scorecards:
                raise KpiError(gettext(
                        'sales_ops_incentive.msg_scorecard_delete',
                        scorecard=scorecard.rec_name))

    @classmethod
    def clear(cls, periods):
        "Remove the scorecards of open periods, never of closed ones"
        pool = Pool()
        Line = pool.get('sale.kpi.scorecard.line')
        for period in periods:
            if period.state == 'closed':
                raise KpiError(gettext(
                        'sales_ops_incentive.msg_period_compute_state',
                        period=period.rec_name,
                        state=period.state_string))
        table = cls.__table__()
        line = Line.__table__()
        cursor = Transaction().connection.cursor()
        ids = [p.id for p in periods]
        # raw deletes: a period holds thousands of figures, not documents
        cursor.execute(*line.delete(where=line.scorecard.in_(
                    table.select(table.id, where=SQL_OPERATORS['in'](
                            table.period, ids)))))
        cursor.execute(*table.delete(
                where=SQL_OPERATORS['in'](table.period, ids)))

    @classmethod
    def compute(cls, periods):
        """The scorecards of the people, teams and department of each
        period, computed for everyone at once (P5.3.1); the objections of
        a recomputed period follow the scorecard of their employee"""
        pool = Pool()
        Objection = pool.get('sale.kpi.objection')
        objections = Objection.search([
                ('period', 'in', [p.id for p in periods]),
                ])
        kept = [((o.period.id, o.employee.id),
                o.line.kpi.id if o.line else None, o) for o in objections]
        if objections:
            # detached only until _reattach: a raw update, as the open ones
            # require their scorecard
            objection = Objection.__table__()
            cursor = Transaction().connection.cursor()
            cursor.execute(*objection.update(
                    [objection.scorecard, objection.line], [Null, Null],
                    where=objection.id.in_([o.id for o in objections])))
        cls.clear(periods)
        for period in periods:
            cls._compute_period(period)
        if kept:
            cls._reattach(kept)

    @classmethod
    def _reattach(cls, objections):
        pool = Pool()
        Objection = pool.get('sale.kpi.objection')
        scorecards = cls.search([
                ('period', 'in', list({k[0] for k, _, _ in objections})),
                ('scope', '=', 'employee'),
                ])
        by_key = {(s.period.id, s.employee.id): s for s in scorecards}
        to_write = []
        for key, kpi, objection in objections:
            scorecard = by_key.get(key)
            if not scorecard:
                continue
            line = [line for line in scorecard.lines if line.kpi.id == kpi]
            to_write.extend([[objection], {
                        'scorecard': scorecard.id,
                        'line': line[0].id if line else None,
                        }])
        if to_write:
            with without_check_access():
                Objection.write(*to_write)

    @classmethod
    def _compute_period(cls, period):
        pool = Pool()
        Band = pool.get('sale.kpi.band')
        Configuration = pool.get('sale.configuration')
        Employee = pool.get('company.employee')
        Kpi = pool.get('sale.kpi')
        Member = pool.get('sale.team.member')
        Scheme = pool.get('sale.kpi.scheme')
        Target = pool.get('sale.kpi.target')

        company = period.company
        cap = Configuration(1).kpi_achievement_cap or Decimal(150)
        schemes = Scheme.of(company, period.start_date)
        kpis = {line.kpi for s in schemes.values() for line in s.lines}
        if not kpis:
            return []
        figures = Kpi.measure(kpis, company, period.start_date,
            period.end_date)
        teams = Member.teams_of([], period.start_date, period.end_date)
        roles = {e.id: e.sales_role for e in Employee.browse(list(teams))}

        # the figures of the teams and the department add up their people's
        team_figures = defaultdict(dict)
        company_figures = {}
        for kpi_id, by_employee in figures.items():
            by_team = defaultdict(lambda: [Decimal(0), Decimal(0)])
            total = [Decimal(0), Decimal(0)]
            for employee, (numerator, denominator) in by_employee.items():
                total[0] += _decimal(numerator)
                total[1] += _decimal(denominator)
                team = teams.get(employee)
                if team:
                    by_team[team][0] += _decimal(numerator)
                    by_team[team][1] += _decimal(denominator)
            for team, values in by_team.items():
                team_figures[team][kpi_id] = tuple(values)
            company_figures[kpi_id] = tuple(total)

        targets = {}
        for target in Target.search([('period', '=', period.id)]):
            who = (target.employee.id if target.scope == 'employee'
                else target.team.id if target.scope == 'team' else None)
            targets[(target.kpi.id, target.scope, who)] = target.value

        def target_of(kpi, scope, who, team):
            value = targets.get((kpi.id, scope, who))
            if value is None and not kpi.additive:
                # a rate's target holds for those below without their own
                if scope == 'employee' and team:
                    value = targets.get((kpi.id, 'team', team))
                if value is None and scope != 'company':
                    value = targets.get((kpi.id, 'company', None))
            return value

        cards = []
        for employee, team in teams.items():
            cards.append(('employee', employee, team,
                    roles.get(employee) or 'salesperson',
                    {k: figures[k].get(employee) for k in figures}))
        for team in set(teams.values()):
            cards.append(('team', None, team, SCOPE_ROLES['team'],
                    team_figures.get(team, {})))
        cards.append(('company', None, None, SCOPE_ROLES['company'],
                company_figures))

        bands = Band.search([])
        rows = []
        for scope, employee, team, role, card_figures in cards:
            scheme = schemes.get(role)
            if not scheme:
                continue
            lines, total, counted = [], Decimal(0), Decimal(0)
            who = employee if scope == 'employee' else team
            for scheme_line in scheme.lines:
                kpi = scheme_line.kpi
                numerator, denominator = card_figures.get(kpi.id) or (0, 0)
                actual = Kpi.value(kpi.computation, numerator, denominator)
                target = target_of(kpi, scope, who, team)
                achievement = score = None
                if actual is not None and target:
                    achievement = _round(min(max(
                                actual / target * _HUNDRED, Decimal(0)),
                            cap))
                    score = _round(achievement * scheme_line.weight
                        / _HUNDRED)
                    total += score
                    counted += scheme_line.weight
                lines.append({
                        'kpi': kpi.id,
                        'weight': scheme_line.weight,
                        'numerator': _round(_decimal(numerator)),
                        'denominator': _round(_decimal(denominator)),
                        'actual': actual,
                        'target': _round(target),
                        'achievement': achievement,
                        'score': score,
                        })
            # a KPI without basis in the period (nothing due, no rating,
            # no training) does not count: the others make up the 100
            if counted and counted != _HUNDRED:
                total = _round(total * _HUNDRED / counted)
            # the rounded scores, scaled, may pass the cap by some cents
            total = min(total, _round(cap))
            band = Band.of_score(bands, total)
            rows.append({
                    'company': company.id,
                    'period': period.id,
                    'scope': scope,
                    'employee': employee,
                    'team': team,
                    'role': role,
                    'total_score': total,
                    'band': band.id if band else None,
                    'lines': lines,
                    })
        cls._rank(rows)
        return cls._insert(rows)

    @staticmethod
    def _rank(rows):
        "Competition ranking by total score within each scope"
        by_scope = defaultdict(list)
        for row in rows:
            by_scope[row['scope']].append(row)
        for scope_rows in by_scope.values():
            scope_rows.sort(key=lambda r: r['total_score'], reverse=True)
            previous, rank = None, 0
            for position, row in enumerate(scope_rows, 1):
                if row['total_score'] != previous:
                    rank, previous = position, row['total_score']
                row['rank'] = rank

    @classmethod
    def _insert(cls, rows):
        """Insert the scorecards and their lines with two statements per
        slice: the ORM would validate thousands of computed rows one by
        one"""
        pool = Pool()
        Line = pool.get('sale.kpi.scorecard.line')
        table = cls.__table__()
        line = Line.__table__()
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        user, now = transaction.user, _now()
        columns = ['company', 'period', 'scope', 'employee', 'team', 'role',
            'total_score', 'rank', 'band']
        line_columns = ['kpi', 'weight', 'numerator', 'denominator',
            'actual', 'target', 'achievement', 'score']
        ids = []
        for sub in grouped_slice(rows, 500):
            sub = list(sub)
            insert_columns = ([getattr(table, c) for c in columns]
                + [table.create_uid, table.create_date])
            values = [[r[c] for c in columns] + [user, now] for r in sub]
            if transaction.database.has_returning():
                cursor.execute(*table.insert(
                        insert_columns, values, returning=[table.id]))
                sub_ids = [i for i, in cursor]
            else:
                sub_ids = []
                for row in values:
                    cursor.execute(*table.insert(insert_columns, [row]))
                    sub_ids.append(cursor.lastrowid)
            ids.extend(sub_ids)
            values = [[scorecard] + [v[c] for c in line_columns]
                + [user, now]
                for scorecard, r in zip(sub_ids, sub) for v in r['lines']]
            if values:
                cursor.execute(*line.insert(
                        [line.scorecard]
                        + [getattr(line, c) for c in line_columns]
                        + [line.create_uid, line.create_date],
                        values))
        return ids

    @classmethod
    def apply_consequences(cls, scorecards):
        """The consequence of each scorecard's band: a recognition for the
        top band, a coaching plan with a training need for the bottom one
        (P5.3.2)"""
        pool = Pool()
        Coaching = pool.get('sale.kpi.coaching')
        recognised = [s for s in scorecards
            if s.band and s.band.consequence == 'recognition']
        coached = [s for s in scorecards
            if s.band and s.band.consequence == 'coaching'
            and not s.coaching]
        with without_check_access():
            if recognised:
                cls.write(recognised, {'recognition': True})
            Coaching.create_for(coached)


class ScorecardLine(ModelSQL, ModelView):
    "KPI Scorecard Line"
    __name__ = 'sale.kpi.scorecard.line'
    __string__ = "KPI Scorecard Line"
    scorecard = fields.Many2One(
        'sale.kpi.scorecard', "Scorecard", required=True, readonly=True,
        ondelete='CASCADE')
    kpi = fields.Many2One(
        'sale.kpi', "KPI", required=True, readonly=True, ondelete='RESTRICT')
    weight = fields.Numeric("Weight", digits=(16, 2), readonly=True)
    numerator = fields.Numeric(
        "Measured", digits=(16, 2), readonly=True,
        help="The figure measured: the amount, the count, or the part of "
        "a rate.")
    denominator = fields.Numeric(
        "Basis", digits=(16, 2), readonly=True,
        help="What a rate is measured against: due, enrolled, last "
        "year's revenue or the number of ratings.")
    actual = fields.Numeric("Actual", digits=(16, 2), readonly=True)
    target = fields.Numeric("Target", digits=(16, 2), readonly=True)
    achievement = fields.Numeric(
        "Achievement %", digits=(16, 2), readonly=True,
        help="Actual ÷ target, within 0 and the configured cap.")
    score = fields.Numeric(
        "Weighted Score", digits=(16, 2), readonly=True,
        help="Achievement × weight ÷ 100.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('scorecard')
        cls._order = [('scorecard', 'ASC'), ('id', 'ASC')]

    def get_rec_name(self, name):
        return f'{self.scorecard.rec_name}: {self.kpi.rec_name}'


class Objection(Workflow, ModelSQL, ModelView):
    "Scorecard Objection"
    __name__ = 'sale.kpi.objection'
    __string__ = "Scorecard Objection"
    _states = {'readonly': Eval('state') != 'open'}
    company = fields.Many2One(
        'company.company', "Company", required=True, readonly=True)
    period = fields.Many2One(
        'sale.kpi.period', "Period", required=True, readonly=True,
        ondelete='CASCADE')
    scorecard = fields.Many2One(
        'sale.kpi.scorecard', "Scorecard", ondelete='SET NULL',
        domain=[('scope', '=', 'employee')],
        states={
            'readonly': Eval('id', -1) >= 0,
            'required': Eval('state') == 'open',
            })
    employee = fields.Many2One(
        'company.employee', "Salesperson", required=True, readonly=True)
    line = fields.Many2One(
        'sale.kpi.scorecard.line', "Figure", ondelete='SET NULL',
        domain=[('scorecard', '=', Eval('scorecard', -1))],
        states=_states,
        help="The KPI whose figure is wrong; leave empty for the scorecard "
        "as a whole.")
    reason = fields.Text("Reason", required=True, states=_states)
    answer = fields.Text(
        "Answer", states=_states,
        help="The supervisor's answer; required to decide.")
    raised_at = fields.Timestamp("Raised At", readonly=True)
    answered_by = employee_field(
        "Answered By", states=['accepted', 'rejected'])
    answered_at = fields.Timestamp("Answered At", readonly=True)
    state = fields.Selection([
            ('open', "Open"),
            ('accepted', "Accepted"),
            ('rejected', "Rejected"),
            ('withdrawn', "Withdrawn"),
            ], "State", readonly=True, required=True, sort=False)
    state_string = state.translated('state')
    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('raised_at', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('open', 'accepted'),
            ('open', 'rejected'),
            ('open', 'withdrawn'),
            }
        cls._buttons.update({
                'accept': {
                    'invisible': Eval('state') != 'open',
                    'depends': ['state'],
                    },
                'reject': {
                    'invisible': Eval('state') != 'open',
                    'depends': ['state'],
                    },
                'withdraw': {
                    'invisible': Eval('state') != 'open',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'open'

    @classmethod
    def default_raised_at(cls):
        return _now()

    @fields.depends('scorecard', '_parent_scorecard.employee',
        '_parent_scorecard.period', '_parent_scorecard.company')
    def on_change_scorecard(self):
        if self.scorecard:
            self.employee = self.scorecard.employee
            self.period = self.scorecard.period
            self.company = self.scorecard.company

    def get_rec_name(self, name):
        what = self.line.kpi.rec_name if self.line else ''
        return f'{self.employee.rec_name} {self.period.rec_name} {what}' \
            .strip()

    @classmethod
    def preprocess_values(cls, mode, values):
        "Who and which period come from the scorecard, not from the client"
        pool = Pool()
        Scorecard = pool.get('sale.kpi.scorecard')
        values = super().preprocess_values(mode, values)
        if mode == 'create' and values.get('scorecard'):
            scorecard = Scorecard(values['scorecard'])
            values['employee'] = (
                scorecard.employee.id if scorecard.employee else None)
            values['period'] = scorecard.period.id
            values['company'] = scorecard.company.id
        return values

    @classmethod
    def validate_fields(cls, objections, field_names):
        super().validate_fields(objections, field_names)
        if field_names and not field_names & {'scorecard', 'state'}:
            return
        for objection in objections:
            if objection.state == 'open' \
                    and objection.period.state != 'open':
                raise KpiValidationError(gettext(
                        'sales_ops_incentive.msg_objection_period',
                        objection=objection.rec_name,
                        period=objection.period.rec_name,
                        state=objection.period.state_string))

    @classmethod
    def check_modification(cls, mode, objections, values=None,
            external=False):
        super().check_modification(
            mode, objections, values=values, external=external)
        if mode == 'delete':
            for objection in objections:
                if objection.state != 'open':
                    raise KpiError(gettext(
                            'sales_ops_incentive.msg_objection_delete',
                            objection=objection.rec_name))

    @classmethod
    def check_answer(cls, objections):
        pool = Pool()
        User = pool.get('res.user')
        employees = set(User.get_employees())
        for objection in objections:
            if objection.employee.id in employees:
                raise KpiError(gettext(
                        'sales_ops_incentive.msg_objection_own',
                        objection=objection.rec_name))
            if not (objection.answer or '').strip():
                raise KpiError(gettext(
                        'sales_ops_incentive.msg_objection_answer',
                        objection=objection.rec_name))

    @classmethod
    @ModelView.button
    @Workflow.transition('accepted')
    @set_employee('answered_by')
    def accept(cls, objections):
        "Accepted: the supervisor corrects the data and recomputes"
        cls.check_answer(objections)
        cls.write(objections, {'answered_at': _now()})

    @classmethod
    @ModelView.button
    @Workflow.transition('rejected')
    @set_employee('answered_by')
    def reject(cls, objections):
        cls.check_answer(objections)
        cls.write(objections, {'answered_at': _now()})

    @classmethod
    @ModelView.button
    @Workflow.transition('withdrawn')
    def withdraw(cls, objections):
        pass


class Coaching(Workflow, ModelSQL, ModelView):
    "Coaching Plan"
    __name__ = 'sale.kpi.coaching'
    __string__ = "Coaching Plan"
    _states = {'readonly': Eval('state').in_(['done', 'cancelled'])}
    company = fields.Many2One(
        'company.company', "Company", required=True, readonly=True)
    employee = fields.Many2One(
        'company.employee', "Salesperson", required=True, readonly=True)
    coach = fields.Many2One(
        'company.employee', "Coach", states=_states,
        domain=[('company', '=', Eval('company', -1))],
        help="The supervisor who coaches.")
    scorecard = fields.Many2One(
        'sale.kpi.scorecard', "Scorecard", readonly=True,
        ondelete='RESTRICT')
    period = fields.Many2One(
        'sale.kpi.period', "Period", readonly=True, ondelete='RESTRICT')
    start_date = fields.Date("Start Date", required=True, states=_states)
    end_date = fields.Date(
        "End Date", required=True, states=_states,
        domain=[If(Eval('start_date'),
                ('end_date', '>=', Eval('start_date')), ())])
    goals = fields.One2Many(
        'sale.kpi.coaching.goal', 'coaching', "Goals", states=_states)
    needs = fields.One2Many(
        'sale.training.need', 'coaching', "Training Needs", readonly=True)
    note = fields.Text("Note", states=_states)
    done_by = employee_field("Done By", states=['done'])
    done_at = fields.Timestamp("Done At", readonly=True)
    cancelled_by = employee_field("Cancelled By", states=['cancelled'])
    cancelled_at = fields.Timestamp("Cancelled At", readonly=True)
    state = fields.Selection([
            ('open', "Open"),
            ('done', "Done"),
            ('cancelled', "Cancelled"),
            ], "State", readonly=True, required=True, sort=False)
    state_string = state.translated('state')
    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('start_date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('open', 'done'),
            ('open', 'cancelled'),
            }
        cls._buttons.update({
                'do': {
                    'invisible': Eval('state') != 'open',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': Eval('state') != 'open',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'open'

    def get_rec_name(self, name):
        period = f' {self.period.rec_name}' if self.period else ''
        return f'{self.employee.rec_name}{period}'

    @classmethod
    def check_modification(cls, mode, plans, values=None, external=False):
        super().check_modification(
            mode, plans, values=values, external=external)
        if mode == 'delete':
            for plan in plans:
                if plan.scorecard:
                    raise KpiError(gettext(
                            'sales_ops_incentive.msg_coaching_delete',
                            coaching=plan.rec_name))

    @classmethod
    def create_for(cls, scorecards):
        """A plan per scorecard of the bottom band: a goal for each KPI
        under target, the supervisor as coach, and a training need on the
        competency of the KPI most short of its target"""
        pool = Pool()
        Need = pool.get('sale.training.need')
        Scorecard = pool.get('sale.kpi.scorecard')
        if not scorecards:
            return []
        plans = []
        for scorecard in scorecards:
            period = scorecard.period
            team = scorecard.team
            coach = (team.supervisors[0] if team and team.supervisors
                else scorecard.employee.supervisor)
            end = period.end_date + (period.end_date - period.start_date) \
                + dt.timedelta(days=1)
            short = sorted([line for line in scorecard.lines
                    if line.achievement is not None
                    and line.achievement < _HUNDRED],
                key=lambda line: line.achievement)
            plan = cls(
                company=scorecard.company,
                employee=scorecard.employee,
                coach=coach,
                scorecard=scorecard,
                period=period,
                start_date=period.end_date + dt.timedelta(days=1),
                end_date=end)
            plan.goals = [{
                    'kpi': line.kpi.id,
                    'actual': line.actual,
                    'target': line.target,
                    'due_date': end,
                    } for line in short]
            trained = [line for line in short if line.kpi.competency]
            if trained:
                line = trained[0]
                plan.needs = [Need(
                        employee=scorecard.employee,
                        competency=line.kpi.competency,
                        source='signal',
                        priority='1',
                        reason=gettext(
                            'sales_ops_incentive.msg_coaching_need_reason',
                            kpi=line.kpi.rec_name,
                            achievement=line.achievement,
                            period=period.rec_name))]
            plans.append(plan)
        cls.save(plans)
        Scorecard.write(*sum(([[p.scorecard], {'coaching': p.id}]
                    for p in plans), []))
        return plans

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    @set_employee('done_by')
    def do(cls, plans):
        cls.write(plans, {'done_at': _now()})

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    @set_employee('cancelled_by')
    def cancel(cls, plans):
        cls.write(plans, {'cancelled_at': _now()})


class CoachingGoal(ModelSQL, ModelView):
    "Coaching Goal"
    __name__ = 'sale.kpi.coaching.goal'
    __string__ = "Coaching Goal"
    coaching = fields.Many2One(
        'sale.kpi.coaching', "Coaching Plan", required=True,
        ondelete='CASCADE')
    kpi = fields.Many2One('sale.kpi', "KPI", ondelete='RESTRICT')
    description = fields.Char("Goal")
    actual = fields.Numeric(
        "Actual", digits=(16, 2), readonly=True,
        help="The figure of the scorecard that asked for coaching.")
    target = fields.Numeric("Target", digits=(16, 2))
    due_date = fields.Date("Due Date")
    achieved = fields.Boolean("Achieved")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('coaching')

    def get_rec_name(self, name):
        return self.description or (self.kpi.rec_name if self.kpi else '')


class Need(metaclass=PoolMeta):
    "A coaching plan asks the training module for a need (P5.3.2)"
    __name__ = 'sale.training.need'
    coaching = fields.Many2One(
        'sale.kpi.coaching', "Coaching Plan", ondelete='CASCADE',
        readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # a coaching plan's need has no analysis
        cls.__access__.discard('analysis')
        cls.analysis.required = False
        cls.analysis.states = {
            'required': ~Eval('coaching'),
            }

    def get_team(self, name):
        if self.analysis:
            return super().get_team(name)
        if self.coaching and self.coaching.scorecard:
            return self.coaching.scorecard.team.id \
                if self.coaching.scorecard.team else None

    @classmethod
    def search_team(cls, name, clause):
        nested = clause[0][len(name):]
        return ['OR',
            ('analysis.team' + nested, *clause[1:]),
            ('coaching.scorecard.team' + nested, *clause[1:]),
            ]


class PeriodCreateStart(ModelView):
    "Create KPI Periods"
    __name__ = 'sale.kpi.period.create.start'
    __string__ = "Create KPI Periods"
    company = fields.Many2One('company.company', "Company", required=True)
    year = fields.Integer(
        "Year", required=True,
        help="The months, quarters and the year are created; those that "
        "exist are kept.")

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_year(cls):
        return Pool().get('ir.date').today().year


class PeriodCreate(Wizard):
    "Create KPI Periods"
    __name__ = 'sale.kpi.period.create'
    start = StateView('sale.kpi.period.create.start',
        'sales_ops_incentive.kpi_period_create_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Create", 'create_', 'tryton-ok', default=True),
            ])
    create_ = StateTransition()

    def transition_create_(self):
        pool = Pool()
        Period = pool.get('sale.kpi.period')
        Period.create_year(self.start.company, self.start.year)
        return 'end'


class TargetCopyStart(ModelView):
    "Copy KPI Targets"
    __name__ = 'sale.kpi.target.copy.start'
    __string__ = "Copy KPI Targets"
    from_period = fields.Many2One(
        'sale.kpi.period', "From Period", required=True)
    to_period = fields.Many2One(
        'sale.kpi.period', "To Period", required=True,
        domain=[
            ('state', '=', 'draft'),
            ('id', '!=', Eval('from_period', -1)),
            ])
    growth = fields.Numeric(
        "Growth %", digits=(16, 2), required=True,
        help="Applied to the targets that add up (revenue, gross profit, "
        "new customers); the rates are copied as they are.")

    @classmethod
    def default_growth(cls):
        return Decimal(0)


class TargetCopy(Wizard):
    "Copy KPI Targets"
    __name__ = 'sale.kpi.target.copy'
    start = StateView('sale.kpi.target.copy.start',
        'sales_ops_incentive.kpi_target_copy_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Copy", 'copy', 'tryton-ok', default=True),
            ])
    copy = StateTransition()

    def default_start(self, fields):
        pool = Pool()
        Period = pool.get('sale.kpi.period')
        if self.model and self.model.__name__ == 'sale.kpi.period' \
                and self.record:
            previous = Period.previous(self.record)
            return {
                'to_period': self.record.id,
                'from_period': previous.id if previous else None,
                }
        return {}

    def transition_copy(self):
        pool = Pool()
        Target = pool.get('sale.kpi.target')
        Target.copy_to(
            self.start.from_period, self.start.to_period, self.start.growth)
        return 'end'
