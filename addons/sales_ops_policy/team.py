# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Sales teams and roles (policy P2)"
import datetime as dt
from collections import defaultdict

from sql import Null, Union
from sql.conditionals import Coalesce

from trytond import backend

from trytond.cache import Cache
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, fields
from trytond.model.fields import SQL_OPERATORS
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .exceptions import TeamMembershipError
from .model import ValidityMixin, search_any


class Team(ValidityMixin, ModelSQL, ModelView):
    "Sales Team"
    __name__ = 'sale.team'
    __string__ = "Sales Team"
    name = fields.Char("Name", required=True)
    code = fields.Char("Code")
    company = fields.Many2One('company.company', "Company", required=True)
    manager = fields.Many2One(
        'company.employee', "Sales Manager",
        domain=[('company', '=', Eval('company', -1))],
        help="Sets the strategy of the team and owns its targets (P2.2.1).")
    supervisors = fields.Many2Many(
        'sale.team-supervisor', 'team', 'employee', "Sales Supervisors",
        domain=[('company', '=', Eval('company', -1))],
        help="Run the team day to day and report upward (P2.2.2).")
    members = fields.One2Many(
        'sale.team.member', 'team', "Memberships",
        help="Who was in the team and when; moves are kept as history.")
    salespeople = fields.Function(fields.Many2Many(
            'company.employee', None, None, "Salespeople", readonly=True,
            help="The members of the team on the day."),
        'get_salespeople')
    active = fields.Function(
        fields.Boolean("Active"), 'get_active', searcher='search_current')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('name', 'ASC'))

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    def get_active(self, name):
        return self.on_change_with_current()

    def get_rec_name(self, name):
        if self.code:
            return f'[{self.code}] {self.name}'
        return self.name

    @classmethod
    def search_rec_name(cls, name, clause):
        return search_any(clause, 'name', 'code')

    @classmethod
    def get_salespeople(cls, teams, name):
        pool = Pool()
        Member = pool.get('sale.team.member')
        member = Member.__table__()
        cursor = Transaction().connection.cursor()
        date = Member.validity_date()
        result = defaultdict(list)
        for sub_teams in grouped_slice(teams, backend.MAX_QUERY_PARAMS):
            cursor.execute(*member.select(
                    member.team, member.employee,
                    where=SQL_OPERATORS['in'](
                        member.team, [t.id for t in sub_teams])
                    & Member.valid_on(member, date),
                    order_by=[member.team, member.id]))
            for team, employee in cursor:
                result[team].append(employee)
        return {t.id: result[t.id] for t in teams}

    @classmethod
    def on_modification(cls, mode, teams, field_names=None):
        super().on_modification(mode, teams, field_names=field_names)
        Pool().get('res.user')._get_team_employees_cache.clear()


class TeamSupervisor(ModelSQL):
    "Sales Team Supervisor"
    __name__ = 'sale.team-supervisor'
    __string__ = "Sales Team Supervisor"
    team = fields.Many2One(
        'sale.team', "Team", required=True, ondelete='CASCADE')
    employee = fields.Many2One(
        'company.employee', "Supervisor", required=True, ondelete='CASCADE')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('team')

    @classmethod
    def on_modification(cls, mode, records, field_names=None):
        super().on_modification(mode, records, field_names=field_names)
        Pool().get('res.user')._get_team_employees_cache.clear()


class TeamMember(ValidityMixin, ModelSQL, ModelView):
    "Sales Team Membership"
    __name__ = 'sale.team.member'
    __string__ = "Sales Team Membership"
    team = fields.Many2One(
        'sale.team', "Team", required=True, ondelete='CASCADE')
    employee = fields.Many2One(
        'company.employee', "Salesperson", required=True, ondelete='CASCADE',
        domain=[('company', '=', Eval('company', -1))])
    company = fields.Function(
        fields.Many2One('company.company', "Company"),
        'on_change_with_company')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('team')
        cls._order = [('start_date', 'DESC'), ('id', 'DESC')]

    @fields.depends('team', '_parent_team.company')
    def on_change_with_company(self, name=None):
        return self.team.company if self.team else None

    def get_rec_name(self, name):
        return f'{self.employee.rec_name} @ {self.team.rec_name}'

    @classmethod
    def validate_fields(cls, members, field_names):
        super().validate_fields(members, field_names)
        if not field_names or field_names & {
                'employee', 'start_date', 'end_date'}:
            cls.check_overlap(members)

    @classmethod
    def check_overlap(cls, members):
        "An employee is in one team at a time (P2.1)"
        table = cls.__table__()
        other = cls.__table__()
        cursor = Transaction().connection.cursor()
        for sub_members in grouped_slice(members, backend.MAX_QUERY_PARAMS):
            cursor.execute(*table.join(other,
                    condition=(table.employee == other.employee)
                    & (table.id != other.id)
                    & (table.start_date
                        <= Coalesce(other.end_date, dt.date.max))
                    & (other.start_date
                        <= Coalesce(table.end_date, dt.date.max))
                    ).select(table.id, other.id,
                    where=SQL_OPERATORS['in'](
                        table.id, [m.id for m in sub_members]),
                    limit=1))
            row = cursor.fetchone()
            if row:
                member, other_member = cls.browse(row)
                raise TeamMembershipError(gettext(
                        'sales_ops_policy.msg_team_member_overlap',
                        employee=member.employee.rec_name,
                        team=member.team.rec_name,
                        other_team=other_member.team.rec_name))

    @classmethod
    def on_modification(cls, mode, members, field_names=None):
        super().on_modification(mode, members, field_names=field_names)
        Pool().get('res.user')._get_team_employees_cache.clear()

    @classmethod
    def move_employee(cls, employee, team, date):
        "End the employee's membership the day before date, join team"
        with Transaction().set_context(date=date):
            current = cls.search([
                    ('employee', '=', employee.id),
                    ('current', '=', True),
                    ])
        for membership in current:
            if membership.start_date >= date:
                raise TeamMembershipError(gettext(
                        'sales_ops_policy.msg_team_move_same_day',
                        employee=employee.rec_name,
                        team=membership.team.rec_name,
                        date=date))
        cls.write(current, {'end_date': date - dt.timedelta(days=1)})
        cls.create([{
                    'team': team.id,
                    'employee': employee.id,
                    'start_date': date,
                    }])


class Employee(metaclass=PoolMeta):
    __name__ = 'company.employee'
    team_memberships = fields.One2Many(
        'sale.team.member', 'employee', "Team History", readonly=True)
    sales_team = fields.Function(
        fields.Many2One('sale.team', "Sales Team"),
        'get_sales_team', searcher='search_sales_team')

    @classmethod
    def get_sales_team(cls, employees, name):
        pool = Pool()
        Member = pool.get('sale.team.member')
        member = Member.__table__()
        cursor = Transaction().connection.cursor()
        date = Member.validity_date()
        result = dict.fromkeys(map(int, employees))
        for sub_employees in grouped_slice(
                employees, backend.MAX_QUERY_PARAMS):
            cursor.execute(*member.select(
                    member.employee, member.team,
                    where=SQL_OPERATORS['in'](
                        member.employee, [e.id for e in sub_employees])
                    & Member.valid_on(member, date)))
            result.update(cursor)
        return result

    @classmethod
    def search_sales_team(cls, name, clause):
        nested = clause[0][len(name):]
        return [('team_memberships', 'where', [
                    ('team' + nested, *clause[1:]),
                    ('current', '=', True),
                    ])]


class User(metaclass=PoolMeta):
    __name__ = 'res.user'
    _get_team_employees_cache = Cache(
        __name__ + '.get_team_employees', context=False)

    @classmethod
    def get_team_employees(cls):
        """Return the ids of the employees of the sales teams that the user
        manages or supervises, the user's own employees included"""
        pool = Pool()
        Team = pool.get('sale.team')
        Supervisor = pool.get('sale.team-supervisor')
        Member = pool.get('sale.team.member')
        employees = cls.get_employees()
        if not employees:
            return ()
        date = Member.validity_date()
        key = (Transaction().user, employees, date)
        result = cls._get_team_employees_cache.get(key)
        if result is not None:
            return result

        team = Team.__table__()
        supervisor = Supervisor.__table__()
        member = Member.__table__()
        cursor = Transaction().connection.cursor()
        team_active = Team.valid_on(team, date)
        led = Union(
            team.select(team.id,
                where=team.manager.in_(list(employees)) & team_active),
            team.join(supervisor, condition=supervisor.team == team.id
                ).select(team.id,
                where=supervisor.employee.in_(list(employees)) & team_active),
            all_=False)
        query = Union(
            member.select(member.employee,
                where=member.team.in_(led)
                & Member.valid_on(member, date)),
            supervisor.select(supervisor.employee,
                where=supervisor.team.in_(led)),
            team.select(team.manager,
                where=team.id.in_(led) & (team.manager != Null)),
            all_=False)
        cursor.execute(*query)
        result = tuple(sorted(
                set(employees) | {e for e, in cursor}))
        return cls._get_team_employees_cache.set(key, result)


class MoveEmployeeStart(ModelView):
    "Move Salesperson to Team"
    __name__ = 'sale.team.move_employee.start'
    __string__ = "Move Salesperson to Team"
    employee = fields.Many2One(
        'company.employee', "Salesperson", required=True)
    current_team = fields.Many2One('sale.team', "Current Team", readonly=True)
    team = fields.Many2One(
        'sale.team', "New Team", required=True,
        domain=[('id', '!=', Eval('current_team', -1))])
    date = fields.Date(
        "Date", required=True,
        help="The first day in the new team.")

    @fields.depends('employee')
    def on_change_employee(self):
        self.current_team = self.employee.sales_team if self.employee else None


class MoveEmployee(Wizard):
    "Move Salesperson to Team"
    __name__ = 'sale.team.move_employee'
    start = StateView('sale.team.move_employee.start',
        'sales_ops_policy.team_move_employee_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Move", 'move', 'tryton-ok', default=True),
            ])
    move = StateTransition()

    def default_start(self, fields):
        pool = Pool()
        Date = pool.get('ir.date')
        values = {'date': Date.today()}
        if self.model and self.model.__name__ == 'company.employee':
            values['employee'] = self.record.id
            if self.record.sales_team:
                values['current_team'] = self.record.sales_team.id
        return values

    def transition_move(self):
        pool = Pool()
        Member = pool.get('sale.team.member')
        Member.move_employee(
            self.start.employee, self.start.team, self.start.date)
        return 'end'
