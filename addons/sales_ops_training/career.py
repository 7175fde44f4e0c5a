# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Career development (P7.4): the sales ladder, a career plan per employee
with goals, required competencies and a mentor, and the rotation and
promotion records"""
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Workflow, fields
from trytond.modules.company.model import employee_field, set_employee
from sales_ops_policy.approval import _now
from sales_ops_policy.model import search_any
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, If
from trytond.transaction import Transaction, without_check_access

from .competency import LEVEL_HELP, ROLES, check_level
from .exceptions import CareerError, TrainingValidationError

_ROLE_ORDER = [r for r, _ in ROLES]


class Employee(metaclass=PoolMeta):
    __name__ = 'company.employee'
    sales_role = fields.Selection(
        ROLES, "Sales Role", required=True,
        help="The employee's step on the sales ladder (P7.4); promotions "
        "change it.")
    career_plans = fields.One2Many(
        'sale.career.plan', 'employee', "Career Plans", readonly=True)
    career_moves = fields.One2Many(
        'sale.career.move', 'employee', "Rotations and Promotions",
        readonly=True)

    @classmethod
    def default_sales_role(cls):
        return 'salesperson'


class Plan(Workflow, ModelSQL, ModelView):
    "Career Plan"
    __name__ = 'sale.career.plan'
    __string__ = "Career Plan"
    _states = {'readonly': Eval('state').in_(['achieved', 'cancelled'])}
    company = fields.Many2One(
        'company.company', "Company", required=True, states=_states)
    employee = fields.Many2One(
        'company.employee', "Employee", required=True, states=_states,
        domain=[('company', '=', Eval('company', -1))])
    current_role = fields.Function(
        fields.Selection(ROLES, "Current Role"), 'on_change_with_current_role')
    target_role = fields.Selection(
        ROLES, "Target Step", required=True, states=_states,
        help="The step of the ladder the plan leads to.")
    target_role_string = target_role.translated('target_role')
    mentor = fields.Many2One(
        'company.employee', "Mentor", states=_states,
        domain=[
            ('company', '=', Eval('company', -1)),
            ('id', '!=', Eval('employee', -1)),
            ])
    start_date = fields.Date("Start Date", required=True, states=_states)
    target_date = fields.Date(
        "Target Date", states=_states,
        domain=[If(Eval('target_date') & Eval('start_date'),
                ('target_date', '>=', Eval('start_date')), ())])
    goals = fields.One2Many(
        'sale.career.goal', 'plan', "Goals", states=_states)
    competencies = fields.One2Many(
        'sale.career.plan.competency', 'plan', "Required Competencies",
        states=_states,
        help="The levels the target step requires, with the employee's "
        "current level.")
    progress = fields.Function(fields.Float(
            "Progress", digits=(3, 2),
            help="The average progress of the goals."),
        'get_progress')
    comment = fields.Text("Comment")
    activated_by = employee_field(
        "Activated By", states=['active', 'achieved', 'cancelled'])
    activated_at = fields.Timestamp("Activated At", readonly=True)
    closed_by = employee_field(
        "Closed By", states=['achieved', 'cancelled'])
    closed_at = fields.Timestamp("Closed At", readonly=True)
    state = fields.Selection([
            ('draft', "Draft"),
            ('active', "Active"),
            ('achieved', "Achieved"),
            ('cancelled', "Cancelled"),
            ], "State", readonly=True, required=True, sort=False)
    state_string = state.translated('state')
    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('start_date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'active'),
            ('active', 'achieved'),
            ('draft', 'cancelled'),
            ('active', 'cancelled'),
            ('cancelled', 'draft'),
            }
        cls._buttons.update({
                'activate': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'achieve': {
                    'invisible': Eval('state') != 'active',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': ~Eval('state').in_(['draft', 'active']),
                    'depends': ['state'],
                    },
                'draft': {
                    'invisible': Eval('state') != 'cancelled',
                    'depends': ['state'],
                    },
                'fill_competencies': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_start_date(cls):
        return Pool().get('ir.date').today()

    @fields.depends('employee')
    def on_change_with_current_role(self, name=None):
        return self.employee.sales_role if self.employee else None

    @fields.depends('employee')
    def on_change_employee(self):
        if self.employee and self.employee.sales_role in _ROLE_ORDER[:-1]:
            index = _ROLE_ORDER.index(self.employee.sales_role)
            self.target_role = _ROLE_ORDER[index + 1]
        if self.employee and self.employee.supervisor:
            self.mentor = self.employee.supervisor

    def get_progress(self, name):
        if not self.goals:
            return 0.0
        return round(
            sum(g.progress or 0 for g in self.goals) / len(self.goals), 2)

    def get_rec_name(self, name):
        return f'{self.employee.rec_name} → {self.target_role_string}'

    @classmethod
    def search_rec_name(cls, name, clause):
        return search_any(clause, 'employee.rec_name', 'mentor.rec_name')

    @classmethod
    def validate_fields(cls, plans, field_names):
        super().validate_fields(plans, field_names)
        if not field_names or field_names & {'employee', 'target_role'}:
            for plan in plans:
                if (_ROLE_ORDER.index(plan.target_role)
                        <= _ROLE_ORDER.index(plan.employee.sales_role)):
                    raise TrainingValidationError(gettext(
                            'sales_ops_training.msg_career_target_role',
                            plan=plan.rec_name))

    @classmethod
    def check_modification(cls, mode, plans, values=None, external=False):
        super().check_modification(
            mode, plans, values=values, external=external)
        if mode == 'delete':
            for plan in plans:
                if plan.state not in {'draft', 'cancelled'}:
                    raise CareerError(gettext(
                            'sales_ops_training.msg_career_plan_delete',
                            plan=plan.rec_name))

    @classmethod
    @ModelView.button
    def fill_competencies(cls, plans):
        "The competencies the target step requires, at their level"
        pool = Pool()
        Requirement = pool.get('sale.competency.requirement')
        PlanCompetency = pool.get('sale.career.plan.competency')
        requirements = Requirement.search([
                ('role', 'in', list({p.target_role for p in plans})),
                ('competency.active', '=', True),
                ])
        to_create = []
        for plan in plans:
            present = {c.competency for c in plan.competencies}
            for requirement in requirements:
                if (requirement.role == plan.target_role
                        and requirement.competency not in present):
                    to_create.append({
                            'plan': plan.id,
                            'competency': requirement.competency.id,
                            'level': requirement.level,
                            })
        PlanCompetency.create(to_create)

    @classmethod
    @ModelView.button
    @Workflow.transition('active')
    @set_employee('activated_by')
    def activate(cls, plans):
        for plan in plans:
            if not plan.goals:
                raise CareerError(gettext(
                        'sales_ops_training.msg_career_plan_no_goal',
                        plan=plan.rec_name))
        cls.write(plans, {'activated_at': _now()})

    @classmethod
    @ModelView.button
    @Workflow.transition('achieved')
    @set_employee('closed_by')
    def achieve(cls, plans):
        cls.write(plans, {'closed_at': _now()})

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    @set_employee('closed_by')
    def cancel(cls, plans):
        cls.write(plans, {'closed_at': _now()})

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, plans):
        cls.write(plans, {'closed_by': None, 'closed_at': None})


class PlanCompetency(ModelSQL, ModelView):
    "Career Plan Competency"
    __name__ = 'sale.career.plan.competency'
    __string__ = "Career Plan Competency"
    plan = fields.Many2One(
        'sale.career.plan', "Plan", required=True, ondelete='CASCADE')
    competency = fields.Many2One(
        'sale.competency', "Competency", required=True, ondelete='RESTRICT')
    level = fields.Integer("Required Level", required=True, help=LEVEL_HELP)
    current_level = fields.Function(
        fields.Integer("Current Level"), 'get_current_level')
    met = fields.Function(fields.Boolean("Met"), 'get_current_level')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('plan')

    @classmethod
    def get_current_level(cls, lines, names):
        pool = Pool()
        Assessment = pool.get('sale.competency.assessment')
        levels = Assessment.current_levels({l.plan.employee for l in lines})
        current = {l.id: levels[l.plan.employee.id].get(l.competency.id)
            for l in lines}
        result = {}
        if 'current_level' in names:
            result['current_level'] = current
        if 'met' in names:
            result['met'] = {l.id: (current[l.id] or 0) >= l.level
                for l in lines}
        return result

    @classmethod
    def validate_fields(cls, lines, field_names):
        super().validate_fields(lines, field_names)
        check_level(lines)


class Goal(ModelSQL, ModelView):
    "Career Goal"
    __name__ = 'sale.career.goal'
    __string__ = "Career Goal"
    plan = fields.Many2One(
        'sale.career.plan', "Plan", required=True, ondelete='CASCADE')
    name = fields.Char("Goal", required=True)
    due_date = fields.Date("Due Date", required=True)
    progress = fields.Integer(
        "Progress (%)", required=True, help="From 0 to 100.")
    done = fields.Function(fields.Boolean("Done"), 'get_done')
    overdue = fields.Function(fields.Boolean("Overdue"), 'get_done')
    comment = fields.Text("Comment")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('due_date', 'ASC'), ('id', 'ASC')]

    @classmethod
    def default_progress(cls):
        return 0

    def get_done(self, name):
        done = (self.progress or 0) >= 100
        if name == 'done':
            return done
        return not done and self.due_date < Pool().get('ir.date').today()

    def get_rec_name(self, name):
        return f'{self.plan.employee.rec_name}: {self.name}'

    @classmethod
    def check_modification(cls, mode, goals, values=None, external=False):
        """The employee of the plan records the progress of their goals;
        the goals themselves are set with the supervisor"""
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        super().check_modification(
            mode, goals, values=values, external=external)
        if not external or Transaction().user == 0:
            return
        supervisor = ModelData.get_id('sales_ops_policy', 'group_supervisor')
        if supervisor in User.get_groups():
            return
        if mode != 'write' or set(values) - {'progress', 'comment'}:
            for goal in goals:
                raise CareerError(gettext(
                        'sales_ops_training.msg_goal_own_fields',
                        goal=goal.name))

    @classmethod
    def validate_fields(cls, goals, field_names):
        super().validate_fields(goals, field_names)
        for goal in goals:
            if not 0 <= (goal.progress or 0) <= 100:
                raise TrainingValidationError(gettext(
                        'sales_ops_training.msg_goal_progress',
                        goal=goal.name, value=goal.progress))


class Move(Workflow, ModelSQL, ModelView):
    """Rotation or Promotion

    A step of the employee's career history; when confirmed, a promotion
    sets the employee's sales role."""
    __name__ = 'sale.career.move'
    __string__ = "Rotation or Promotion"
    _states = {'readonly': Eval('state') != 'draft'}
    company = fields.Many2One(
        'company.company', "Company", required=True, states=_states)
    employee = fields.Many2One(
        'company.employee', "Employee", required=True, states=_states,
        domain=[('company', '=', Eval('company', -1))])
    type = fields.Selection([
            ('promotion', "Promotion"),
            ('rotation', "Rotation"),
            ], "Type", required=True, states=_states)
    from_role = fields.Selection(
        ROLES, "From Role", required=True, states=_states)
    to_role = fields.Selection(
        ROLES, "To Role", required=True, states=_states)
    from_role_string = from_role.translated('from_role')
    to_role_string = to_role.translated('to_role')
    from_team = fields.Many2One('sale.team', "From Team", states=_states)
    to_team = fields.Many2One('sale.team', "To Team", states=_states)
    date = fields.Date("Effective Date", required=True, states=_states)
    reason = fields.Text("Reason", required=True, states=_states)
    origin = fields.Reference(
        "Origin", selection='get_origins', readonly=True,
        help="The document that proposed the move (a promotion proposal).")
    confirmed_by = employee_field("Confirmed By", states=['done'])
    confirmed_at = fields.Timestamp("Confirmed At", readonly=True)
    cancelled_by = employee_field("Cancelled By", states=['cancelled'])
    cancelled_at = fields.Timestamp("Cancelled At", readonly=True)
    state = fields.Selection([
            ('draft', "Draft"),
            ('done', "Done"),
            ('cancelled', "Cancelled"),
            ], "State", readonly=True, required=True, sort=False)
    state_string = state.translated('state')
    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'done'),
            ('draft', 'cancelled'),
            ('done', 'cancelled'),
            }
        cls._buttons.update({
                'confirm': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': Eval('state') == 'cancelled',
                    'depends': ['state'],
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
        return 'promotion'

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()

    @classmethod
    def get_origins(cls):
        "Other modules add the documents proposing moves"
        return [(None, '')]

    @fields.depends('employee')
    def on_change_employee(self):
        if self.employee:
            self.from_role = self.employee.sales_role
            self.from_team = self.employee.sales_team

    def get_rec_name(self, name):
        return (f'{self.employee.rec_name}: {self.from_role_string} → '
            f'{self.to_role_string} ({self.date})')

    @classmethod
    def search_rec_name(cls, name, clause):
        return search_any(clause, 'employee.rec_name', 'reason')

    @classmethod
    def validate_fields(cls, moves, field_names):
        super().validate_fields(moves, field_names)
        for move in moves:
            if (move.type == 'promotion'
                    and _ROLE_ORDER.index(move.to_role)
                    <= _ROLE_ORDER.index(move.from_role)):
                raise TrainingValidationError(gettext(
                        'sales_ops_training.msg_career_promotion_up',
                        move=move.rec_name))

    @classmethod
    def check_modification(cls, mode, moves, values=None, external=False):
        super().check_modification(
            mode, moves, values=values, external=external)
        if mode == 'delete':
            for move in moves:
                if move.state == 'done':
                    raise CareerError(gettext(
                            'sales_ops_training.msg_career_move_delete',
                            move=move.rec_name))

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    @set_employee('confirmed_by')
    def confirm(cls, moves):
        """The employee takes the new role, and joins the new team from the
        effective date"""
        pool = Pool()
        Employee = pool.get('company.employee')
        Member = pool.get('sale.team.member')
        cls.write(moves, {'confirmed_at': _now()})
        to_write = []
        for move in moves:
            if move.employee.sales_role != move.to_role:
                to_write.extend(
                    [[move.employee], {'sales_role': move.to_role}])
        # the button's groups authorise the change of role and team
        with without_check_access():
            if to_write:
                Employee.write(*to_write)
            for move in moves:
                if move.to_team and move.to_team != move.from_team:
                    Member.move_employee(
                        move.employee, move.to_team, move.date)

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    @set_employee('cancelled_by')
    def cancel(cls, moves):
        "A cancelled promotion gives the employee back the former role"
        pool = Pool()
        Employee = pool.get('company.employee')
        to_write = []
        for move in moves:
            if (move.state == 'done'
                    and move.employee.sales_role == move.to_role):
                to_write.extend(
                    [[move.employee], {'sales_role': move.from_role}])
        if to_write:
            # the button's groups authorise the change of role
            with without_check_access():
                Employee.write(*to_write)
        cls.write(moves, {'cancelled_at': _now()})
