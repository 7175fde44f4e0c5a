# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Training (P7.1 to P7.3): needs analysis per team from competency gaps and
sales signals, training plans with their budget approved by the Sales
Manager, courses and sessions with enrolment and attendance, assessments
and the effectiveness of each course on the participants' sales"""
import datetime as dt
from collections import defaultdict
from decimal import Decimal

from sql import Literal, Null, Union
from sql.aggregate import Avg, Count, Sum
from sql.conditionals import Case

from trytond import backend
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, Unique, Workflow, fields)
from trytond.model.fields import SQL_OPERATORS
from trytond.modules.company.model import employee_field, set_employee
from sales_ops_policy.approval import SubmittedMixin, _now
from sales_ops_policy.collection import _decimal
from sales_ops_policy.customer import SALE_STATES
from sales_ops_policy.sale import _date
from sales_ops_policy.model import search_any
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, If
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access

from .exceptions import TrainingError, TrainingValidationError

PRIORITIES = [
    ('1', "High"),
    ('2', "Medium"),
    ('3', "Low"),
    ]
METHODS = [
    ('internal', "Internal (In-house Trainer)"),
    ('external', "External Provider"),
    ('online', "Online"),
    ('practice', "Practice (Real Projects, Case Studies)"),
    ]
# what the plan keeps of its budget while it is submitted or carried out
_PLAN_COMMITTED = ['submitted', 'approved', 'done']
_WON = ['converted', 'won']
_DECIDED = ['converted', 'won', 'lost', 'cancelled']
_HUNDRED = Decimal(100)


def check_scores(records, *names):
    "Refuse a score outside 0 to 100"
    for record in records:
        for name in names:
            value = getattr(record, name)
            if value is not None and not 0 <= value <= 100:
                raise TrainingValidationError(gettext(
                        'sales_ops_training.msg_score_range',
                        field=record.__names__(name)['field'],
                        value=value, record=record.rec_name))


def _ratio(part, whole):
    return (Decimal(part) * _HUNDRED / whole).quantize(Decimal('0.01')) \
        if whole else None


class Configuration(metaclass=PoolMeta):
    __name__ = 'sale.configuration'
    training_expense_category = fields.Many2One(
        'sale.expense.category', "Training Expense Category",
        help="The expense budgets of this category are consumed by the "
        "training plans.")
    training_window_days = fields.Integer(
        "Training Window Days", required=True,
        domain=[('training_window_days', '>', 0)],
        help="The days of sales data read by the needs analysis, and "
        "compared before and after a course.")

    @classmethod
    def default_training_window_days(cls):
        return 90


class NeedRule(DeactivableMixin, ModelSQL, ModelView):
    """Training Need Rule

    A signal from the sales data that points to a competency to train."""
    __name__ = 'sale.training.need.rule'
    __string__ = "Training Need Rule"
    name = fields.Char("Name", required=True, translate=True)
    signal = fields.Selection([
            ('conversion', "Low Lead-to-Win Conversion"),
            ('complaints', "Complaints on One Product"),
            ], "Signal", required=True,
        help="Low conversion: won among the opportunities decided in the "
        "window, in %, below the threshold.\n"
        "Complaints: complaints on one product sold by the salesperson in "
        "the window, at least the threshold.")
    threshold = fields.Numeric("Threshold", digits=(16, 2), required=True)
    minimum_count = fields.Integer(
        "Minimum Count",
        states={'invisible': Eval('signal') != 'conversion'},
        help="The conversion counts only from this number of decided "
        "opportunities.")
    competency = fields.Many2One(
        'sale.competency', "Competency", required=True, ondelete='RESTRICT')
    priority = fields.Selection(PRIORITIES, "Priority", required=True)

    @classmethod
    def default_priority(cls):
        return '2'

    @classmethod
    def default_minimum_count(cls):
        return 5

    @classmethod
    def validate_fields(cls, rules, field_names):
        super().validate_fields(rules, field_names)
        for rule in rules:
            if rule.threshold is None or rule.threshold < 0 or (
                    rule.signal == 'conversion' and rule.threshold > 100):
                raise TrainingValidationError(gettext(
                        'sales_ops_training.msg_rule_threshold',
                        rule=rule.rec_name))

    @classmethod
    def conversions(cls, employees, start, end):
        """{employee id: (won, decided)} of the opportunities decided
        between start and end"""
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        opportunity = Opportunity.__table__()
        cursor = Transaction().connection.cursor()
        result = {}
        for sub in grouped_slice(
                [int(e) for e in employees], backend.MAX_QUERY_PARAMS):
            cursor.execute(*opportunity.select(
                    opportunity.employee,
                    Sum(Case((opportunity.state.in_(_WON), 1), else_=0)),
                    Count(opportunity.id),
                    where=SQL_OPERATORS['in'](opportunity.employee, list(sub))
                    & opportunity.state.in_(_DECIDED)
                    & (opportunity.end_date >= start)
                    & (opportunity.end_date <= end),
                    group_by=[opportunity.employee]))
            for employee, won, decided in cursor:
                result[employee] = (int(won or 0), int(decided))
        return result

    @classmethod
    def complaints(cls, employees, start, end):
        """{(employee id, product id): count} of the complaints dated
        between start and end about what the employees sold"""
        pool = Pool()
        Complaint = pool.get('sale.complaint')
        Sale = pool.get('sale.sale')
        SaleLine = pool.get('sale.line')
        cursor = Transaction().connection.cursor()
        result = {}

        def about(sub):
            complaint, line, sale = (
                Complaint.__table__(), SaleLine.__table__(),
                Sale.__table__())
            where = (SQL_OPERATORS['in'](sale.employee, sub)
                & (complaint.date >= start) & (complaint.date <= end))
            of_line = complaint.join(line, condition=(
                    complaint.origin.like('sale.line,%')
                    & (Complaint.origin.sql_id(complaint.origin, SaleLine)
                        == line.id))
                ).join(sale, condition=line.sale == sale.id
                ).select(complaint.id.as_('complaint'),
                    sale.employee.as_('employee'),
                    line.product.as_('product'), where=where)
            complaint, line, sale = (
                Complaint.__table__(), SaleLine.__table__(),
                Sale.__table__())
            where = (SQL_OPERATORS['in'](sale.employee, sub)
                & (complaint.date >= start) & (complaint.date <= end))
            of_sale = complaint.join(sale, condition=(
                    complaint.origin.like('sale.sale,%')
                    & (Complaint.origin.sql_id(complaint.origin, Sale)
                        == sale.id))
                ).join(line, condition=line.sale == sale.id
                ).select(complaint.id.as_('complaint'),
                    sale.employee.as_('employee'),
                    line.product.as_('product'), where=where)
            return Union(of_line, of_sale, all_=False)

        for sub in grouped_slice(
                [int(e) for e in employees], backend.MAX_QUERY_PARAMS // 2):
            union = about(list(sub))
            cursor.execute(*union.select(
                    union.employee, union.product, Count(union.complaint),
                    where=union.product != Null,
                    group_by=[union.employee, union.product]))
            for employee, product, count in cursor:
                result[(employee, product)] = count
        return result


class NeedAnalysis(Workflow, ModelSQL, ModelView):
    "Training Needs Analysis"
    __name__ = 'sale.training.need.analysis'
    __string__ = "Training Needs Analysis"
    _states = {'readonly': Eval('state') != 'draft'}
    company = fields.Many2One(
        'company.company', "Company", required=True, states=_states)
    team = fields.Many2One(
        'sale.team', "Team", required=True, states=_states,
        domain=[('company', '=', Eval('company', -1))])
    date = fields.Date(
        "Date", required=True, states=_states,
        help="The day the levels are read; the sales signals are read over "
        "the configured window before it.")
    employee = fields.Many2One(
        'company.employee', "Analysed By", states=_states,
        domain=[('company', '=', Eval('company', -1))])
    needs = fields.One2Many(
        'sale.training.need', 'analysis', "Needs", states=_states)
    plan = fields.Many2One(
        'sale.training.plan', "Training Plan", readonly=True)
    computed_at = fields.Timestamp("Computed At", readonly=True)
    state = fields.Selection([
            ('draft', "Draft"),
            ('done', "Done"),
            ], "State", readonly=True, required=True, sort=False)
    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'done'),
            ('done', 'draft'),
            }
        cls._buttons.update({
                'compute': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'draft_plan': {
                    'invisible': ((Eval('state') != 'draft')
                        | Eval('plan')),
                    'depends': ['state', 'plan'],
                    },
                'done': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'draft': {
                    'invisible': Eval('state') != 'done',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_employee(cls):
        return Transaction().context.get('employee')

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()

    @classmethod
    def default_state(cls):
        return 'draft'

    def get_rec_name(self, name):
        return f'{self.team.rec_name} {self.date}'

    @classmethod
    def search_rec_name(cls, name, clause):
        return search_any(clause, 'team.rec_name')

    @classmethod
    @ModelView.button
    def compute(cls, analyses):
        """The needs of each member of the team: the gaps to the levels of
        their role (P7.2.1) and the needs the sales signals point to"""
        pool = Pool()
        Need = pool.get('sale.training.need')
        Competency = pool.get('sale.competency')
        Assessment = pool.get('sale.competency.assessment')
        Rule = pool.get('sale.training.need.rule')
        Configuration = pool.get('sale.configuration')
        Member = pool.get('sale.team.member')
        Product = pool.get('product.product')
        window = dt.timedelta(
            days=Configuration(1).training_window_days or 90)

        Need.delete([n for a in analyses for n in a.needs])
        required = Competency.required_levels()
        competencies = {c.id: c for c in Competency.search([])}
        rules = Rule.search([])
        to_create = []
        for analysis in analyses:
            with Transaction().set_context(date=analysis.date):
                members = Member.search([
                        ('team', '=', analysis.team.id),
                        ('current', '=', True),
                        ])
            employees = [m.employee for m in members]
            with Transaction().set_context(date=analysis.date):
                levels = Assessment.current_levels(employees)
            start, end = analysis.date - window, analysis.date
            conversions = Rule.conversions(employees, start, end)
            complaints = Rule.complaints(employees, start, end)
            products = Product.browse(list({p for _, p in complaints}))
            products = {p.id: p for p in products}
            for employee in employees:
                needs = {}
                for (competency_id, role), level in required.items():
                    if (role != employee.sales_role
                            or competency_id not in competencies):
                        continue
                    current = levels[employee.id].get(competency_id, 0)
                    if current < level:
                        gap = level - current
                        needs[competency_id] = {
                            'source': 'gap',
                            'required_level': level,
                            'assessed_level': current,
                            'priority': '1' if gap >= 2 else '2',
                            'reason': gettext(
                                'sales_ops_training.msg_need_gap',
                                level=current, required=level),
                            }
                for rule in rules:
                    reason = None
                    if rule.signal == 'conversion':
                        won, decided = conversions.get(employee.id, (0, 0))
                        rate = _ratio(won, decided)
                        if (decided >= (rule.minimum_count or 0)
                                and rate is not None
                                and rate < rule.threshold):
                            reason = gettext(
                                'sales_ops_training.msg_need_conversion',
                                rate=rate,
                                threshold=rule.threshold.quantize(
                                    Decimal('0.01')),
                                won=won, decided=decided)
                    elif rule.signal == 'complaints':
                        hits = sorted(
                            (c, products[p].rec_name)
                            for (e, p), c in complaints.items()
                            if e == employee.id and c >= rule.threshold)
                        if hits:
                            reason = gettext(
                                'sales_ops_training.msg_need_complaints',
                                products=', '.join(
                                    f'{n} ({c})' for c, n in hits))
                    if not reason:
                        continue
                    need = needs.setdefault(rule.competency.id, {
                            'source': 'signal',
                            'priority': rule.priority,
                            'reason': '',
                            })
                    # a signal adds its reason and may raise the priority
                    need['rule'] = rule.id
                    need['priority'] = min(need['priority'], rule.priority)
                    need['reason'] = '; '.join(
                        filter(None, [need['reason'], reason]))
                    if need['source'] == 'gap':
                        need['source'] = 'both'
                for competency_id, values in needs.items():
                    to_create.append({
                            'analysis': analysis.id,
                            'employee': employee.id,
                            'competency': competency_id,
                            **values,
                            })
        Need.create(to_create)
        cls.write(analyses, {'computed_at': _now()})

    @classmethod
    def analyse_teams(cls):
        """The periodic needs analysis (P7.1): one computed analysis of
        each current team of the company, for today"""
        pool = Pool()
        Team = pool.get('sale.team')
        Date = pool.get('ir.date')
        context = Transaction().context
        domain = [('active', '=', True)]
        if context.get('company'):
            # the cron runs once per company
            domain.append(('company', '=', context['company']))
        analyses = cls.create([{
                    'company': t.company.id,
                    'team': t.id,
                    'date': Date.today(),
                    } for t in Team.search(domain)])
        cls.compute(analyses)
        return analyses

    @classmethod
    @ModelView.button
    def draft_plan(cls, analyses):
        """A draft training plan per analysis: its needs, their employees
        and one course for each competency to train"""
        pool = Pool()
        Plan = pool.get('sale.training.plan')
        Course = pool.get('sale.training.course')
        Configuration = pool.get('sale.configuration')
        window = dt.timedelta(
            days=Configuration(1).training_window_days or 90)
        courses = Course.search([], order=[('cost', 'ASC'), ('id', 'ASC')])
        plans = []
        for analysis in analyses:
            if not analysis.needs:
                raise TrainingError(gettext(
                        'sales_ops_training.msg_analysis_no_need',
                        analysis=analysis.rec_name))
            wanted = {n.competency for n in analysis.needs}
            chosen = []
            for competency in sorted(wanted, key=lambda c: c.id):
                for course in courses:
                    if competency in course.competencies:
                        if course not in chosen:
                            chosen.append(course)
                        break
            plan = Plan(
                company=analysis.company,
                name=analysis.rec_name,
                team=analysis.team,
                employee=analysis.employee,
                start_date=analysis.date,
                end_date=analysis.date + window,
                employees=list({n.employee for n in analysis.needs}),
                needs=list(analysis.needs),
                courses=[{'course': c.id, 'cost': c.cost} for c in chosen],
                )
            plan.budget = sum((c.cost or 0 for c in chosen), Decimal(0))
            plans.append(plan)
        Plan.save(plans)
        for analysis, plan in zip(analyses, plans):
            analysis.plan = plan
        cls.save(analyses)

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    def done(cls, analyses):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, analyses):
        pass


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.extend([
                ('sale.training.need.analysis|analyse_teams',
                    "Analyse Training Needs"),
                ])


class Need(ModelSQL, ModelView):
    "Training Need"
    __name__ = 'sale.training.need'
    __string__ = "Training Need"
    analysis = fields.Many2One(
        'sale.training.need.analysis', "Analysis", required=True,
        ondelete='CASCADE')
    employee = fields.Many2One('company.employee', "Employee", required=True)
    competency = fields.Many2One(
        'sale.competency', "Competency", required=True, ondelete='RESTRICT')
    source = fields.Selection([
            ('gap', "Level Gap"),
            ('signal', "Sales Signal"),
            ('both', "Level Gap and Sales Signal"),
            ], "Source", required=True)
    rule = fields.Many2One(
        'sale.training.need.rule', "Rule", ondelete='RESTRICT')
    required_level = fields.Integer("Required Level")
    assessed_level = fields.Integer("Assessed Level")
    priority = fields.Selection(PRIORITIES, "Priority", required=True)
    reason = fields.Char("Reason")
    plan = fields.Many2One(
        'sale.training.plan', "Training Plan", ondelete='SET NULL')
    team = fields.Function(
        fields.Many2One('sale.team', "Team"), 'get_team',
        searcher='search_team')
    count = fields.Function(fields.Integer("Count"), 'get_count')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('analysis')
        cls._order = [
            ('priority', 'ASC'), ('employee', 'ASC'), ('id', 'ASC')]

    def get_team(self, name):
        return self.analysis.team.id

    def get_count(self, name):
        "1 for each need: the graph counts them"
        return 1

    @classmethod
    def search_team(cls, name, clause):
        nested = clause[0][len(name):]
        return [('analysis.team' + nested, *clause[1:])]

    def get_rec_name(self, name):
        return f'{self.employee.rec_name}: {self.competency.rec_name}'


class Course(DeactivableMixin, ModelSQL, ModelView):
    "Training Course"
    __name__ = 'sale.training.course'
    __string__ = "Training Course"
    company = fields.Many2One('company.company', "Company", required=True)
    name = fields.Char("Name", required=True, translate=True)
    code = fields.Char("Code")
    competencies = fields.Many2Many(
        'sale.training.course-sale.competency', 'course', 'competency',
        "Competencies")
    level = fields.Integer(
        "Level Reached", required=True,
        help="The level of its competencies a participant who passes "
        "reaches (from 1 to 5).")
    method = fields.Selection(METHODS, "Method", required=True)
    trainer = fields.Many2One(
        'company.employee', "In-house Trainer",
        domain=[('company', '=', Eval('company', -1))],
        states={'invisible': ~Eval('method').in_(['internal', 'practice'])})
    provider = fields.Many2One(
        'party.party', "Provider",
        context={'company': Eval('company', -1)}, depends={'company'},
        states={
            'invisible': ~Eval('method').in_(['external', 'online']),
            'required': Eval('method') == 'external',
            })
    hours = fields.Numeric("Hours", digits=(16, 1), required=True)
    cost = fields.Numeric(
        "Cost", digits=(16, 2), required=True,
        help="The cost of the course in company currency, for the plan's "
        "budget.")
    exam_weight = fields.Integer("Exam Weight (%)", required=True)
    practical_weight = fields.Integer("Practical Weight (%)", required=True)
    feedback_weight = fields.Integer(
        "Customer Feedback Weight (%)", required=True)
    pass_mark = fields.Numeric(
        "Pass Mark", digits=(5, 2), required=True,
        help="The weighted score, out of 100, to pass.")
    description = fields.Text("Description", translate=True)
    sessions = fields.One2Many(
        'sale.training.session', 'course', "Sessions", readonly=True)

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_method(cls):
        return 'internal'

    @classmethod
    def default_level(cls):
        return 3

    @classmethod
    def default_cost(cls):
        return Decimal(0)

    @classmethod
    def default_exam_weight(cls):
        return 50

    @classmethod
    def default_practical_weight(cls):
        return 30

    @classmethod
    def default_feedback_weight(cls):
        return 20

    @classmethod
    def default_pass_mark(cls):
        return Decimal(60)

    def get_rec_name(self, name):
        if self.code:
            return f'[{self.code}] {self.name}'
        return self.name

    @classmethod
    def search_rec_name(cls, name, clause):
        return search_any(clause, 'name', 'code')

    @classmethod
    def validate_fields(cls, courses, field_names):
        super().validate_fields(courses, field_names)
        weights = ['exam_weight', 'practical_weight', 'feedback_weight']
        for course in courses:
            values = [getattr(course, w) or 0 for w in weights]
            if min(values) < 0 or sum(values) != 100:
                raise TrainingValidationError(gettext(
                        'sales_ops_training.msg_course_weights',
                        course=course.rec_name, total=sum(values)))
            if not 1 <= (course.level or 0) <= 5:
                raise TrainingValidationError(gettext(
                        'sales_ops_training.msg_level_range',
                        value=course.level, record=course.rec_name))
            for name in ['hours', 'cost']:
                if getattr(course, name) < 0:
                    raise TrainingValidationError(gettext(
                            'sales_ops_policy.msg_negative_amount',
                            field=cls.__names__(name)['field'],
                            record=course.rec_name))
        check_scores(courses, 'pass_mark')


class CourseCompetency(ModelSQL):
    "Training Course - Competency"
    __name__ = 'sale.training.course-sale.competency'
    course = fields.Many2One(
        'sale.training.course', "Course", required=True, ondelete='CASCADE')
    competency = fields.Many2One(
        'sale.competency', "Competency", required=True, ondelete='CASCADE')


class Plan(SubmittedMixin, Workflow, ModelSQL, ModelView):
    "Training Plan"
    __name__ = 'sale.training.plan'
    __string__ = "Training Plan"
    _states = {'readonly': Eval('state') != 'draft'}
    company = fields.Many2One(
        'company.company', "Company", required=True, states=_states)
    name = fields.Char("Name", required=True, states=_states)
    team = fields.Many2One(
        'sale.team', "Team", states=_states,
        domain=[('company', '=', Eval('company', -1))],
        help="Leave empty for a plan of the whole sales department.")
    employee = fields.Many2One(
        'company.employee', "Prepared By", required=True, states=_states,
        domain=[('company', '=', Eval('company', -1))],
        help="Who prepares the plan; they never approve it.")
    start_date = fields.Date("Start Date", required=True, states=_states)
    end_date = fields.Date(
        "End Date", required=True, states=_states,
        domain=[If(Eval('start_date'),
                ('end_date', '>=', Eval('start_date')), ())])
    courses = fields.One2Many(
        'sale.training.plan.course', 'plan', "Courses", states=_states)
    employees = fields.Many2Many(
        'sale.training.plan-company.employee', 'plan', 'employee',
        "Target Employees", states=_states,
        domain=[('company', '=', Eval('company', -1))])
    needs = fields.One2Many(
        'sale.training.need', 'plan', "Needs", readonly=True)
    sessions = fields.One2Many(
        'sale.training.session', 'plan', "Sessions", readonly=True)
    currency = fields.Function(fields.Many2One(
            'currency.currency', "Currency"), 'on_change_with_currency')
    budget = fields.Numeric(
        "Budget", digits=(16, 2), required=True, states=_states,
        help="What the plan may spend; it is taken from the training "
        "expense budget when one is approved.")
    cost = fields.Function(fields.Numeric(
            "Planned Cost", digits=(16, 2)), 'on_change_with_cost')
    budget_period = fields.Many2One(
        'sale.expense.budget.period', "Expense Budget Period", readonly=True,
        help="The training expense budget the plan's budget is taken from.")
    submitted_by = employee_field(
        "Submitted By", states=['submitted', 'approved', 'done', 'cancelled'])
    submitted_at = fields.Timestamp("Submitted At", readonly=True)
    approved_at = fields.Timestamp("Approved At", readonly=True)
    done_by = employee_field("Done By", states=['done'])
    done_at = fields.Timestamp("Done At", readonly=True)
    cancelled_by = employee_field("Cancelled By", states=['cancelled'])
    cancelled_at = fields.Timestamp("Cancelled At", readonly=True)
    state = fields.Selection([
            ('draft', "Draft"),
            ('submitted', "Submitted"),
            ('approved', "Approved"),
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
            ('draft', 'submitted'),
            ('submitted', 'draft'),
            ('submitted', 'approved'),
            ('approved', 'done'),
            ('draft', 'cancelled'),
            ('submitted', 'cancelled'),
            ('approved', 'cancelled'),
            ('cancelled', 'draft'),
            }
        cls._buttons.update({
                'submit': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'do': {
                    'invisible': Eval('state') != 'approved',
                    'depends': ['state'],
                    },
                'draft': {
                    'invisible': Eval('state') != 'cancelled',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': Eval('state').in_(['done', 'cancelled']),
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_employee(cls):
        return Transaction().context.get('employee')

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_start_date(cls):
        return Pool().get('ir.date').today()

    @fields.depends('company')
    def on_change_with_currency(self, name=None):
        return self.company.currency if self.company else None

    @fields.depends('courses')
    def on_change_with_cost(self, name=None):
        return sum((c.cost or 0 for c in self.courses or []), Decimal(0))

    def approval_amount(self):
        return self.budget

    @classmethod
    def check_modification(cls, mode, plans, values=None, external=False):
        super().check_modification(
            mode, plans, values=values, external=external)
        if mode == 'delete':
            for plan in plans:
                if plan.state not in {'draft', 'cancelled'}:
                    raise TrainingError(gettext(
                            'sales_ops_training.msg_plan_delete',
                            plan=plan.rec_name))

    @classmethod
    def copy(cls, plans, default=None):
        default = default.copy() if default else {}
        for name in ['budget_period', 'submitted_by', 'submitted_at',
                'approved_at', 'done_by', 'done_at', 'cancelled_by',
                'cancelled_at']:
            default.setdefault(name, None)
        default.setdefault('needs', None)
        default.setdefault('sessions', None)
        return super().copy(plans, default=default)

    @classmethod
    def check_budget(cls, plans):
        """The planned cost within the plan's budget, and the budget within
        what the training expense budget has left (P6.1, P7.2.2); the
        periods are locked so that two plans are judged one after the
        other"""
        pool = Pool()
        Configuration = pool.get('sale.configuration')
        Period = pool.get('sale.expense.budget.period')
        Lang = pool.get('ir.lang')
        lang = Lang.get()
        for plan in plans:
            if not plan.courses:
                raise TrainingError(gettext(
                        'sales_ops_training.msg_plan_no_course',
                        plan=plan.rec_name))
            if plan.cost > plan.budget:
                raise TrainingError(gettext(
                        'sales_ops_training.msg_plan_over_budget',
                        plan=plan.rec_name,
                        cost=lang.currency(plan.cost, plan.currency),
                        budget=lang.currency(plan.budget, plan.currency)))
        category = Configuration(1).training_expense_category
        if not category:
            return
        keys = {p: (p.company, category, p.team, p.start_date) for p in plans}
        periods = Period.of_keys(set(keys.values()))
        used = [p for p in periods.values() if p]
        if not used:
            return
        Period.lock(used)
        remaining = Period.get_consumption(used, ['remaining'])['remaining']
        to_write = []
        for plan in plans:
            period = periods[keys[plan]]
            if not period:
                continue
            if remaining[period.id] < plan.budget:
                raise TrainingError(gettext(
                        'sales_ops_training.msg_plan_over_expense_budget',
                        plan=plan.rec_name, budget=period.rec_name,
                        remaining=lang.currency(
                            remaining[period.id], plan.currency),
                        amount=lang.currency(plan.budget, plan.currency)))
            remaining[period.id] -= plan.budget
            to_write.extend([[plan], {'budget_period': period.id}])
        if to_write:
            cls.write(*to_write)

    @classmethod
    @ModelView.button
    def submit(cls, plans):
        "Submit to the Sales Manager's approval (P7.2.2)"
        for plan in plans:
            if plan.state != 'draft':
                raise TrainingError(gettext(
                        'sales_ops_training.msg_plan_submitted_twice',
                        plan=plan.rec_name))
        cls.check_budget(plans)
        cls.submitted(plans)
        free = cls.request_configured_approvals(cls.browse(plans))
        cls.approve(free)

    @classmethod
    @Workflow.transition('submitted')
    @set_employee('submitted_by')
    def submitted(cls, plans):
        cls.write(plans, {'submitted_at': _now()})

    @classmethod
    @Workflow.transition('approved')
    def approve(cls, plans):
        cls.write(plans, {'approved_at': _now()})

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    @set_employee('done_by')
    def do(cls, plans):
        cls.write(plans, {'done_at': _now()})

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, plans):
        cls.cancel_approvals(plans)
        # the budget is judged again at the next submission
        cls.write(plans, {'budget_period': None})

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    @set_employee('cancelled_by')
    def cancel(cls, plans):
        cls.cancel_approvals(plans)
        cls.write(plans, {'cancelled_at': _now(), 'budget_period': None})


class PlanCourse(ModelSQL, ModelView):
    "Training Plan Course"
    __name__ = 'sale.training.plan.course'
    __string__ = "Training Plan Course"
    plan = fields.Many2One(
        'sale.training.plan', "Plan", required=True, ondelete='CASCADE')
    course = fields.Many2One(
        'sale.training.course', "Course", required=True,
        ondelete='RESTRICT')
    planned_date = fields.Date("Planned Date")
    cost = fields.Numeric("Cost", digits=(16, 2), required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('plan')

    @fields.depends('course')
    def on_change_course(self):
        if self.course:
            self.cost = self.course.cost

    @classmethod
    def check_modification(cls, mode, lines, values=None, external=False):
        super().check_modification(
            mode, lines, values=values, external=external)
        if mode in {'create', 'write', 'delete'}:
            for line in lines:
                if line.plan.state != 'draft':
                    raise TrainingError(gettext(
                            'sales_ops_training.msg_plan_modify',
                            plan=line.plan.rec_name))

    @classmethod
    def validate_fields(cls, lines, field_names):
        super().validate_fields(lines, field_names)
        for line in lines:
            if line.cost < 0:
                raise TrainingValidationError(gettext(
                        'sales_ops_policy.msg_negative_amount',
                        field=cls.__names__('cost')['field'],
                        record=line.plan.rec_name))


class PlanEmployee(ModelSQL):
    "Training Plan - Employee"
    __name__ = 'sale.training.plan-company.employee'
    plan = fields.Many2One(
        'sale.training.plan', "Plan", required=True, ondelete='CASCADE')
    employee = fields.Many2One(
        'company.employee', "Employee", required=True, ondelete='CASCADE')


class BudgetPeriod(metaclass=PoolMeta):
    __name__ = 'sale.expense.budget.period'

    @classmethod
    def _consumption_queries(cls, period_ids):
        "A submitted or approved training plan commits its budget"
        pool = Pool()
        Plan = pool.get('sale.training.plan')
        plan = Plan.__table__()
        return super()._consumption_queries(period_ids) + [
            plan.select(
                plan.budget_period.as_('period'),
                Literal(0).as_('preapproved'),
                Sum(plan.budget).as_('committed'),
                Literal(0).as_('actual'),
                where=SQL_OPERATORS['in'](plan.budget_period, period_ids)
                & plan.state.in_(_PLAN_COMMITTED),
                group_by=[plan.budget_period])]


class Session(Workflow, ModelSQL, ModelView):
    "Training Session"
    __name__ = 'sale.training.session'
    __string__ = "Training Session"
    _states = {'readonly': Eval('state') != 'planned'}
    company = fields.Many2One(
        'company.company', "Company", required=True, states=_states)
    course = fields.Many2One(
        'sale.training.course', "Course", required=True, states=_states,
        domain=[('company', '=', Eval('company', -1))])
    plan = fields.Many2One(
        'sale.training.plan', "Training Plan", states=_states,
        domain=[
            ('company', '=', Eval('company', -1)),
            ('state', 'in', ['approved', 'done']),
            ])
    method = fields.Function(
        fields.Selection(METHODS, "Method"), 'on_change_with_method')
    start = fields.DateTime("Start", required=True, states=_states)
    end = fields.DateTime(
        "End", required=True, states=_states,
        domain=[If(Eval('start'), ('end', '>=', Eval('start')), ())])
    place = fields.Char("Place", states=_states)
    link = fields.Char(
        "Link", states=_states, help="The address of an online session.")
    trainer = fields.Many2One(
        'company.employee', "Trainer", states=_states,
        domain=[('company', '=', Eval('company', -1))])
    capacity = fields.Integer(
        "Capacity", required=True, states=_states,
        domain=[('capacity', '>', 0)])
    enrolments = fields.One2Many(
        'sale.training.enrolment', 'session', "Participants",
        states={'readonly': Eval('state') == 'cancelled'})
    enrolled = fields.Function(
        fields.Integer("Enrolled"), 'get_enrolled')
    held_by = employee_field("Held By", states=['held'])
    held_at = fields.Timestamp("Held At", readonly=True)
    state = fields.Selection([
            ('planned', "Planned"),
            ('held', "Held"),
            ('cancelled', "Cancelled"),
            ], "State", readonly=True, required=True, sort=False)
    state_string = state.translated('state')
    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('start', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('planned', 'held'),
            ('planned', 'cancelled'),
            ('cancelled', 'planned'),
            }
        cls._buttons.update({
                'hold': {
                    'invisible': Eval('state') != 'planned',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': Eval('state') != 'planned',
                    'depends': ['state'],
                    },
                'plan_again': {
                    'invisible': Eval('state') != 'cancelled',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_state(cls):
        return 'planned'

    @classmethod
    def default_capacity(cls):
        return 20

    @fields.depends('course')
    def on_change_with_method(self, name=None):
        return self.course.method if self.course else None

    @fields.depends('course', 'trainer')
    def on_change_course(self):
        if self.course and not self.trainer:
            self.trainer = self.course.trainer

    def get_rec_name(self, name):
        return f'{self.course.rec_name} {self.start:%Y-%m-%d %H:%M}'

    @classmethod
    def search_rec_name(cls, name, clause):
        return search_any(clause, 'course.rec_name', 'place')

    @classmethod
    def validate_fields(cls, sessions, field_names):
        super().validate_fields(sessions, field_names)
        if not field_names or 'capacity' in field_names:
            Pool().get('sale.training.enrolment').check_capacity(
                [e for s in sessions for e in s.enrolments])

    def get_enrolled(self, name):
        return len([e for e in self.enrolments if e.state != 'cancelled'])

    @classmethod
    def check_held(cls, sessions):
        "Attendance is known only once the session started"
        now = dt.datetime.now()
        for session in sessions:
            if session.start > now:
                raise TrainingError(gettext(
                        'sales_ops_training.msg_session_not_held',
                        session=session.rec_name))

    @classmethod
    def check_modification(cls, mode, sessions, values=None, external=False):
        super().check_modification(
            mode, sessions, values=values, external=external)
        if mode == 'delete':
            for session in sessions:
                if session.state == 'held':
                    raise TrainingError(gettext(
                            'sales_ops_training.msg_session_delete',
                            session=session.rec_name))

    @classmethod
    @ModelView.button
    @Workflow.transition('held')
    @set_employee('held_by')
    def hold(cls, sessions):
        cls.check_held(sessions)
        cls.write(sessions, {'held_at': _now()})

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, sessions):
        pool = Pool()
        Enrolment = pool.get('sale.training.enrolment')
        Enrolment.cancel([e for s in sessions for e in s.enrolments
                if e.state == 'enrolled'])

    @classmethod
    @ModelView.button
    @Workflow.transition('planned')
    def plan_again(cls, sessions):
        pass


class Enrolment(Workflow, ModelSQL, ModelView):
    """Training Enrolment

    A participant of a session: attendance, then the assessment that
    completes it (P7.3)."""
    __name__ = 'sale.training.enrolment'
    __string__ = "Training Enrolment"
    _scores = {'readonly': Eval('state') != 'attended'}
    session = fields.Many2One(
        'sale.training.session', "Session", required=True,
        ondelete='RESTRICT', states={'readonly': Eval('state') != 'enrolled'})
    employee = fields.Many2One(
        'company.employee', "Participant", required=True,
        states={'readonly': Eval('state') != 'enrolled'})
    company = fields.Function(fields.Many2One(
            'company.company', "Company"),
        'on_change_with_company', searcher='search_session_field')
    course = fields.Function(fields.Many2One(
            'sale.training.course', "Course"),
        'get_course', searcher='search_session_field')
    session_start = fields.Function(
        fields.DateTime("Session Start"), 'get_course')
    exam_score = fields.Numeric(
        "Exam Score", digits=(5, 2), states=_scores, help="From 0 to 100.")
    practical_score = fields.Numeric(
        "Practical Score", digits=(5, 2), states=_scores,
        help="From 0 to 100.")
    feedback_score = fields.Numeric(
        "Customer Feedback Score", digits=(5, 2), states=_scores,
        help="From 0 to 100; left empty, it is taken from the customers' "
        "satisfaction on the participant's revisits after the session.")
    score = fields.Numeric(
        "Score", digits=(5, 2), readonly=True,
        help="The weighted score of the assessment.")
    result = fields.Selection([
            (None, ""),
            ('passed', "Passed"),
            ('failed', "Failed"),
            ], "Result", readonly=True)
    assessed_by = employee_field("Assessed By", states=['completed'])
    assessed_at = fields.Timestamp("Assessed At", readonly=True)
    attendance_by = employee_field(
        "Attendance By", states=['attended', 'absent', 'completed'])
    attendance_at = fields.Timestamp("Attendance At", readonly=True)
    state = fields.Selection([
            ('enrolled', "Enrolled"),
            ('attended', "Attended"),
            ('absent', "Absent"),
            ('completed', "Completed"),
            ('cancelled', "Cancelled"),
            ], "State", readonly=True, required=True, sort=False)
    state_string = state.translated('state')
    del _scores

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('session_employee_unique', Unique(t, t.session, t.employee),
                'sales_ops_training.msg_enrolment_unique'),
            ]
        cls._order = [('session', 'DESC'), ('id', 'ASC')]
        cls._transitions |= {
            ('enrolled', 'attended'),
            ('enrolled', 'absent'),
            ('enrolled', 'cancelled'),
            ('attended', 'completed'),
            ('attended', 'enrolled'),
            ('absent', 'enrolled'),
            ('cancelled', 'enrolled'),
            }
        cls._buttons.update({
                'attend': {
                    'invisible': Eval('state') != 'enrolled',
                    'depends': ['state'],
                    },
                'absent': {
                    'invisible': Eval('state') != 'enrolled',
                    'depends': ['state'],
                    },
                'assess': {
                    'invisible': Eval('state') != 'attended',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': Eval('state') != 'enrolled',
                    'depends': ['state'],
                    },
                'reset': {
                    'invisible': ~Eval('state').in_(
                        ['attended', 'absent', 'cancelled']),
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'enrolled'

    @fields.depends('session', '_parent_session.company')
    def on_change_with_company(self, name=None):
        return self.session.company if self.session else None

    def get_course(self, name):
        if name == 'course':
            return self.session.course.id
        return self.session.start

    @classmethod
    def search_session_field(cls, name, clause):
        nested = clause[0][len(name):]
        return [('session.' + name + nested, *clause[1:])]

    def get_rec_name(self, name):
        return f'{self.employee.rec_name} @ {self.session.rec_name}'

    @classmethod
    def search_rec_name(cls, name, clause):
        return search_any(
            clause, 'employee.rec_name', 'session.course.rec_name')

    @classmethod
    def validate_fields(cls, enrolments, field_names):
        super().validate_fields(enrolments, field_names)
        check_scores(
            enrolments, 'exam_score', 'practical_score', 'feedback_score')
        if not field_names or field_names & {'session', 'state'}:
            cls.check_capacity(enrolments)

    @classmethod
    def check_capacity(cls, enrolments):
        "No more participants than the session's seats"
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        sessions = {e.session for e in enrolments}
        counts = {}
        for sub in grouped_slice(
                [s.id for s in sessions], backend.MAX_QUERY_PARAMS):
            cursor.execute(*table.select(
                    table.session, Count(table.id),
                    where=SQL_OPERATORS['in'](table.session, list(sub))
                    & (table.state != 'cancelled'),
                    group_by=[table.session]))
            counts.update(cursor)
        for session in sessions:
            if counts.get(session.id, 0) > session.capacity:
                raise TrainingValidationError(gettext(
                        'sales_ops_training.msg_session_full',
                        session=session.rec_name,
                        capacity=session.capacity))

    @classmethod
    def check_modification(
            cls, mode, enrolments, values=None, external=False):
        super().check_modification(
            mode, enrolments, values=values, external=external)
        if mode == 'delete':
            for enrolment in enrolments:
                if enrolment.state == 'completed':
                    raise TrainingError(gettext(
                            'sales_ops_training.msg_enrolment_delete',
                            enrolment=enrolment.rec_name))

    @classmethod
    @ModelView.button
    @Workflow.transition('attended')
    @set_employee('attendance_by')
    def attend(cls, enrolments):
        pool = Pool()
        Session = pool.get('sale.training.session')
        Session.check_held(list({e.session for e in enrolments}))
        cls.write(enrolments, {'attendance_at': _now()})

    @classmethod
    @ModelView.button
    @Workflow.transition('absent')
    @set_employee('attendance_by')
    def absent(cls, enrolments):
        pool = Pool()
        Session = pool.get('sale.training.session')
        Session.check_held(list({e.session for e in enrolments}))
        cls.write(enrolments, {'attendance_at': _now()})

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, enrolments):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('enrolled')
    def reset(cls, enrolments):
        cls.write(enrolments, {
                'attendance_by': None,
                'attendance_at': None,
                })

    @classmethod
    def feedback_scores(cls, enrolments):
        """{enrolment id: score} from the customers' satisfaction (1 to 5,
        as 20 to 100) on the participant's revisits since the session"""
        pool = Pool()
        Revisit = pool.get('sale.customer.revisit')
        revisit = Revisit.__table__()
        cursor = Transaction().connection.cursor()
        employees = {e.employee.id for e in enrolments}
        since = min((e.session.end.date() for e in enrolments),
            default=None)
        if since is None:
            return {}
        rows = defaultdict(list)
        for sub in grouped_slice(list(employees), backend.MAX_QUERY_PARAMS):
            cursor.execute(*revisit.select(
                    revisit.employee, revisit.date, revisit.satisfaction,
                    where=SQL_OPERATORS['in'](revisit.employee, list(sub))
                    & (revisit.state == 'done')
                    & (revisit.date >= since)
                    & (revisit.satisfaction != Null)))
            for employee, date, satisfaction in cursor:
                rows[employee].append((_date(date), satisfaction))
        result = {}
        for enrolment in enrolments:
            values = [s for d, s in rows[enrolment.employee.id]
                if d >= enrolment.session.end.date()]
            if values:
                result[enrolment.id] = (
                    Decimal(sum(values) * 20) / len(values)).quantize(
                    Decimal('0.01'))
        return result

    @classmethod
    @ModelView.button
    def assess(cls, enrolments):
        """The weighted score against the course's pass mark (P7.3.1); a
        pass raises the participant's competencies to the course's level"""
        pool = Pool()
        User = pool.get('res.user')
        Assessment = pool.get('sale.competency.assessment')
        employees = set(User.get_employees())
        assessor = Transaction().context.get('employee')
        for enrolment in enrolments:
            if enrolment.employee.id in employees:
                raise TrainingError(gettext(
                        'sales_ops_training.msg_assess_self_training',
                        enrolment=enrolment.rec_name))
        feedback = cls.feedback_scores([
                e for e in enrolments if e.feedback_score is None
                and e.session.course.feedback_weight])
        to_write, passed = [], []
        for enrolment in enrolments:
            course = enrolment.session.course
            scores = [
                (enrolment.exam_score, course.exam_weight),
                (enrolment.practical_score, course.practical_weight),
                (enrolment.feedback_score
                    if enrolment.feedback_score is not None
                    else feedback.get(enrolment.id),
                    course.feedback_weight),
                ]
            # a score not given does not count: the others share its weight
            scores = [(s, w) for s, w in scores if s is not None and w]
            if not scores:
                raise TrainingError(gettext(
                        'sales_ops_training.msg_enrolment_no_score',
                        enrolment=enrolment.rec_name))
            total = sum(w for _, w in scores)
            score = (sum(s * w for s, w in scores) / total).quantize(
                Decimal('0.01'))
            result = 'passed' if score >= course.pass_mark else 'failed'
            values = {
                'score': score,
                'result': result,
                'assessed_at': _now(),
                }
            if enrolment.feedback_score is None and enrolment.id in feedback:
                values['feedback_score'] = feedback[enrolment.id]
            to_write.extend([[enrolment], values])
            if result == 'passed':
                passed.append(enrolment)
        if to_write:
            cls.write(*to_write)
        cls.completed(enrolments)

        levels = Assessment.current_levels({e.employee for e in passed})
        today = Pool().get('ir.date').today()
        to_create = []
        for enrolment in passed:
            course = enrolment.session.course
            by = assessor or (
                course.trainer.id if course.trainer else None)
            for competency in course.competencies:
                current = levels[enrolment.employee.id].get(competency.id, 0)
                if current < course.level:
                    to_create.append({
                            'company': enrolment.session.company.id,
                            'employee': enrolment.employee.id,
                            'competency': competency.id,
                            'level': course.level,
                            'date': today,
                            'assessor': by,
                            'origin': str(enrolment),
                            })
        if to_create:
            if any(v['assessor'] is None for v in to_create):
                raise TrainingError(gettext(
                        'sales_ops_training.msg_assess_no_employee'))
            with without_check_access():
                Assessment.create(to_create)

    @classmethod
    @Workflow.transition('completed')
    @set_employee('assessed_by')
    def completed(cls, enrolments):
        pass

    @classmethod
    def results(cls, employees, start, end):
        """{employee id: (enrolled, completed, passed)} of the sessions
        started between start and end, for the incentive scorecards"""
        pool = Pool()
        Session = pool.get('sale.training.session')
        enrolment = cls.__table__()
        session = Session.__table__()
        cursor = Transaction().connection.cursor()
        start = dt.datetime.combine(start, dt.time.min)
        end = dt.datetime.combine(end, dt.time.max)
        result = {}
        for sub in grouped_slice(
                [int(e) for e in employees], backend.MAX_QUERY_PARAMS):
            cursor.execute(*enrolment.join(
                    session, condition=enrolment.session == session.id
                    ).select(
                    enrolment.employee,
                    Count(enrolment.id),
                    Sum(Case((enrolment.state == 'completed', 1), else_=0)),
                    Sum(Case((enrolment.result == 'passed', 1), else_=0)),
                    where=SQL_OPERATORS['in'](enrolment.employee, list(sub))
                    & (enrolment.state != 'cancelled')
                    & (session.state != 'cancelled')
                    & (session.start >= start) & (session.start <= end),
                    group_by=[enrolment.employee]))
            for employee, enrolled, completed, passed in cursor:
                result[employee] = (
                    int(enrolled), int(completed or 0), int(passed or 0))
        return result


class EffectivenessContext(ModelView):
    "Training Effectiveness Context"
    __name__ = 'sale.training.effectiveness.context'
    company = fields.Many2One('company.company', "Company", required=True)
    from_date = fields.Date("From Date", required=True)
    to_date = fields.Date("To Date", required=True)
    window_days = fields.Integer(
        "Window Days", required=True,
        help="The days before and after each session the participants' "
        "sales are compared over.")

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_from_date(cls):
        return Pool().get('ir.date').today() - dt.timedelta(days=365)

    @classmethod
    def default_to_date(cls):
        return Pool().get('ir.date').today()

    @classmethod
    def default_window_days(cls):
        return Pool().get('sale.configuration')(1).training_window_days or 90


class Effectiveness(ModelSQL, ModelView):
    """Training Effectiveness

    Per course, the sessions held in the period: participation, pass rate,
    average scores and the participants' sales before and after (P7.3)."""
    __name__ = 'sale.training.effectiveness'
    __string__ = "Training Effectiveness"
    course = fields.Many2One('sale.training.course', "Course")
    participants = fields.Integer("Participants")
    completed = fields.Integer("Completed")
    passed = fields.Integer("Passed")
    pass_rate = fields.Function(
        fields.Numeric("Pass Rate (%)", digits=(5, 2)), 'get_rates')
    completion_rate = fields.Function(
        fields.Numeric("Completion Rate (%)", digits=(5, 2)), 'get_rates')
    exam_score = fields.Numeric("Average Exam Score", digits=(5, 2))
    practical_score = fields.Numeric(
        "Average Practical Score", digits=(5, 2))
    feedback_score = fields.Numeric(
        "Average Customer Feedback Score", digits=(5, 2))
    score = fields.Numeric("Average Score", digits=(5, 2))
    revenue_before = fields.Function(fields.Numeric(
            "Revenue Before", digits=(16, 2),
            help="Per participant, over the window before the session."),
        'get_kpis')
    revenue_after = fields.Function(fields.Numeric(
            "Revenue After", digits=(16, 2),
            help="Per participant, over the window after the session."),
        'get_kpis')
    revenue_change = fields.Function(fields.Numeric(
            "Revenue Change (%)", digits=(16, 2)), 'get_kpis')
    conversion_before = fields.Function(fields.Numeric(
            "Conversion Before (%)", digits=(5, 2),
            help="Won among the opportunities decided in the window before "
            "the session."),
        'get_kpis')
    conversion_after = fields.Function(fields.Numeric(
            "Conversion After (%)", digits=(5, 2)), 'get_kpis')
    conversion_change = fields.Function(fields.Numeric(
            "Conversion Change (points)", digits=(5, 2)), 'get_kpis')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('course', 'ASC'), ('id', 'ASC')]

    @classmethod
    def _sessions_where(cls, session):
        context = Transaction().context
        from_date = context.get('from_date') or dt.date.min
        to_date = context.get('to_date') or dt.date.max
        where = ((session.state == 'held')
            & (session.start >= dt.datetime.combine(from_date, dt.time.min))
            & (session.start <= dt.datetime.combine(to_date, dt.time.max)))
        if context.get('company'):
            where &= session.company == context['company']
        return where

    @classmethod
    def table_query(cls):
        pool = Pool()
        Enrolment = pool.get('sale.training.enrolment')
        Session = pool.get('sale.training.session')
        enrolment = Enrolment.__table__()
        session = Session.__table__()
        return enrolment.join(
            session, condition=enrolment.session == session.id).select(
            session.course.as_('id'),
            session.course.as_('course'),
            Count(enrolment.id).as_('participants'),
            Sum(Case((enrolment.state == 'completed', 1), else_=0)
                ).as_('completed'),
            Sum(Case((enrolment.result == 'passed', 1), else_=0)
                ).as_('passed'),
            Avg(enrolment.exam_score).as_('exam_score'),
            Avg(enrolment.practical_score).as_('practical_score'),
            Avg(enrolment.feedback_score).as_('feedback_score'),
            Avg(enrolment.score).as_('score'),
            where=cls._sessions_where(session)
            & enrolment.state.in_(['attended', 'completed']),
            group_by=[session.course])

    @classmethod
    def read(cls, ids, fields_names):
        # SQLite answers the averages as floats
        result = super().read(ids, fields_names)
        for row in result:
            for name in ['exam_score', 'practical_score', 'feedback_score',
                    'score']:
                if row.get(name) is not None:
                    row[name] = _decimal(row[name]).quantize(
                        Decimal('0.01'))
            for name in ['participants', 'completed', 'passed']:
                if row.get(name) is not None:
                    row[name] = int(row[name])
        return result

    def get_rates(self, name):
        if name == 'pass_rate':
            return _ratio(self.passed or 0, self.participants)
        return _ratio(self.completed or 0, self.participants)

    @classmethod
    def get_kpis(cls, rows, names):
        """The participants' revenue and conversion over the window before
        and after their session, from the sales and opportunities (one
        query each for all rows)"""
        pool = Pool()
        Enrolment = pool.get('sale.training.enrolment')
        Session = pool.get('sale.training.session')
        Sale = pool.get('sale.sale')
        Opportunity = pool.get('sale.opportunity')
        context = Transaction().context
        window = dt.timedelta(days=context.get('window_days') or 90)
        enrolment = Enrolment.__table__()
        session = Session.__table__()
        cursor = Transaction().connection.cursor()
        ids = [r.id for r in rows]
        participations = defaultdict(list)
        for sub in grouped_slice(ids, backend.MAX_QUERY_PARAMS):
            cursor.execute(*enrolment.join(
                    session, condition=enrolment.session == session.id
                    ).select(
                    session.course, enrolment.employee, session.start,
                    session.end,
                    where=cls._sessions_where(session)
                    & SQL_OPERATORS['in'](session.course, list(sub))
                    & enrolment.state.in_(['attended', 'completed'])))
            for course, employee, start, end in cursor:
                if isinstance(start, str):
                    start = dt.datetime.fromisoformat(start)
                    end = dt.datetime.fromisoformat(end)
                participations[course].append(
                    (employee, start.date(), end.date()))
        employees = {e for p in participations.values() for e, _, _ in p}
        dates = [d for p in participations.values() for _, s, e in p
            for d in (s, e)]
        sales, opportunities = defaultdict(list), defaultdict(list)
        if dates:
            low, high = min(dates) - window, max(dates) + window
            sale = Sale.__table__()
            opportunity = Opportunity.__table__()
            for sub in grouped_slice(
                    list(employees), backend.MAX_QUERY_PARAMS):
                sub = list(sub)
                cursor.execute(*sale.select(
                        sale.employee, sale.sale_date,
                        sale.untaxed_amount_cache,
                        where=SQL_OPERATORS['in'](sale.employee, list(sub))
                        & sale.state.in_(SALE_STATES)
                        & (sale.sale_date >= low)
                        & (sale.sale_date <= high)))
                for employee, date, amount in cursor:
                    sales[employee].append((_date(date), amount or 0))
                cursor.execute(*opportunity.select(
                        opportunity.employee, opportunity.end_date,
                        opportunity.state,
                        where=SQL_OPERATORS['in'](
                            opportunity.employee, list(sub))
                        & opportunity.state.in_(_DECIDED)
                        & (opportunity.end_date >= low)
                        & (opportunity.end_date <= high)))
                for employee, date, state in cursor:
                    opportunities[employee].append((_date(date), state))

        result = {n: {} for n in names}
        for row in rows:
            revenue = [Decimal(0), Decimal(0)]
            won, decided = [0, 0], [0, 0]
            people = participations.get(row.id, [])
            for employee, start, end in people:
                before = (start - window, start - dt.timedelta(days=1))
                after = (end + dt.timedelta(days=1), end + window)
                for i, (low, high) in enumerate([before, after]):
                    revenue[i] += sum(
                        (Decimal(str(a)) for d, a in sales[employee]
                            if low <= d <= high), Decimal(0))
                    states = [s for d, s in opportunities[employee]
                        if low <= d <= high]
                    won[i] += len([s for s in states if s in _WON])
                    decided[i] += len(states)
            count = len(people)
            per_person = [
                (r / count).quantize(Decimal('0.01')) if count else None
                for r in revenue]
            conversion = [_ratio(w, d) for w, d in zip(won, decided)]
            values = {
                'revenue_before': per_person[0],
                'revenue_after': per_person[1],
                'revenue_change': (
                    _ratio(per_person[1] - per_person[0], per_person[0])
                    if per_person[0] else None),
                'conversion_before': conversion[0],
                'conversion_after': conversion[1],
                'conversion_change': (
                    conversion[1] - conversion[0]
                    if None not in conversion else None),
                }
            for name in names:
                result[name][row.id] = values[name]
        return result
