# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The competency framework (P7.2.1): competencies grouped by the policy's
content areas, the level each role requires and each employee's assessed
levels with their history"""
from collections import defaultdict

from sql.functions import RowNumber
from sql import Literal, Window

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, Unique, fields, sequence_ordered)
from sales_ops_policy.model import (
    query_flags, search_any, search_query_flag)
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .exceptions import TrainingValidationError

# the ladder of P7.4 and P8.3, lowest first
ROLES = [
    ('salesperson', "Salesperson"),
    ('supervisor', "Sales Supervisor"),
    ('manager', "Sales Manager"),
    ('director', "Sales Director"),
    ]
# levels run from 0 (none) to 5 (expert)
LEVEL_HELP = "From 0 (none) to 5 (expert)."


def check_level(records, name='level'):
    "Refuse a level outside the scale"
    for record in records:
        value = getattr(record, name)
        if value is not None and not 0 <= value <= 5:
            raise TrainingValidationError(gettext(
                    'sales_ops_training.msg_level_range',
                    value=value, record=record.rec_name))


class Area(sequence_ordered(), DeactivableMixin, ModelSQL, ModelView):
    "Competency Area"
    __name__ = 'sale.competency.area'
    __string__ = "Competency Area"
    name = fields.Char("Name", required=True, translate=True)
    code = fields.Char("Code")
    competencies = fields.One2Many(
        'sale.competency', 'area', "Competencies")


class Competency(sequence_ordered(), DeactivableMixin, ModelSQL, ModelView):
    "Competency"
    __name__ = 'sale.competency'
    __string__ = "Competency"
    area = fields.Many2One(
        'sale.competency.area', "Area", required=True, ondelete='RESTRICT',
        help="The content area of the policy (P7.2.1).")
    name = fields.Char("Name", required=True, translate=True)
    code = fields.Char("Code")
    description = fields.Text("Description", translate=True)
    requirements = fields.One2Many(
        'sale.competency.requirement', 'competency', "Required Levels")

    def get_rec_name(self, name):
        if self.code:
            return f'[{self.code}] {self.name}'
        return self.name

    @classmethod
    def search_rec_name(cls, name, clause):
        return search_any(clause, 'name', 'code', 'area.name')

    @classmethod
    def required_levels(cls):
        "{(competency id, role): level} of every requirement"
        pool = Pool()
        Requirement = pool.get('sale.competency.requirement')
        table = Requirement.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(
                table.competency, table.role, table.level))
        return {(c, r): l for c, r, l in cursor}


class Requirement(ModelSQL, ModelView):
    "Competency Required Level"
    __name__ = 'sale.competency.requirement'
    __string__ = "Competency Required Level"
    competency = fields.Many2One(
        'sale.competency', "Competency", required=True, ondelete='CASCADE')
    role = fields.Selection(ROLES, "Role", required=True)
    role_string = role.translated('role')
    level = fields.Integer("Required Level", required=True, help=LEVEL_HELP)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('competency')
        t = cls.__table__()
        cls._sql_constraints += [
            ('competency_role_unique', Unique(t, t.competency, t.role),
                'sales_ops_training.msg_requirement_unique'),
            ]
        cls._order.insert(0, ('role', 'ASC'))

    def get_rec_name(self, name):
        return f'{self.competency.rec_name} ({self.role_string})'

    @classmethod
    def validate_fields(cls, requirements, field_names):
        super().validate_fields(requirements, field_names)
        check_level(requirements)


class Assessment(ModelSQL, ModelView):
    """Competency Assessment

    One assessed level of an employee on a date; the latest one of each
    competency is the current level, the others are its history."""
    __name__ = 'sale.competency.assessment'
    __string__ = "Competency Assessment"
    company = fields.Many2One('company.company', "Company", required=True)
    employee = fields.Many2One(
        'company.employee', "Employee", required=True,
        domain=[('company', '=', Eval('company', -1))])
    competency = fields.Many2One(
        'sale.competency', "Competency", required=True, ondelete='RESTRICT')
    level = fields.Integer("Level", required=True, help=LEVEL_HELP)
    date = fields.Date("Date", required=True)
    assessor = fields.Many2One(
        'company.employee', "Assessor", required=True,
        domain=[('company', '=', Eval('company', -1))],
        help="Who assessed the level; never the employee.")
    origin = fields.Reference(
        "Origin", selection='get_origins', readonly=True,
        help="The training assessment that raised the level.")
    comment = fields.Text("Comment")
    current = fields.Function(
        fields.Boolean(
            "Current", help="The latest level of the competency."),
        'get_current', searcher='search_current')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()

    @classmethod
    def default_assessor(cls):
        return Transaction().context.get('employee')

    @classmethod
    def get_origins(cls):
        pool = Pool()
        Model = pool.get('ir.model')
        models = ['sale.training.enrolment']
        return [(None, '')] + [(m, Model.get_name(m)) for m in models]

    def get_rec_name(self, name):
        return (f'{self.employee.rec_name}: {self.competency.rec_name} '
            f'{self.level}')

    @classmethod
    def search_rec_name(cls, name, clause):
        return search_any(
            clause, 'employee.rec_name', 'competency.rec_name')

    @classmethod
    def _current_query(cls):
        """The latest assessment of each employee and competency, on the
        context date if any"""
        table = cls.__table__()
        rank = RowNumber(window=Window(
                [table.employee, table.competency],
                order_by=[table.date.desc, table.id.desc]))
        date = Transaction().context.get('date')
        # on the day of the context: an analysis of the past reads the
        # levels of then
        ranked = table.select(table.id, rank.as_('rank'),
            where=(table.date <= date) if date else Literal(True))
        return ranked.select(ranked.id.as_('id'), where=ranked.rank == 1)

    @classmethod
    def get_current(cls, assessments, name):
        return query_flags(cls._current_query(), assessments)

    @classmethod
    def search_current(cls, name, clause):
        return search_query_flag(clause, cls._current_query())

    @classmethod
    def current_levels(cls, employees):
        "{employee id: {competency id: level}} of the latest assessments"
        result = defaultdict(dict)
        assessments = cls.search([
                ('employee', 'in', [int(e) for e in employees]),
                ('current', '=', True),
                ])
        for assessment in assessments:
            result[assessment.employee.id][assessment.competency.id] = (
                assessment.level)
        return result

    @classmethod
    def validate_fields(cls, assessments, field_names):
        super().validate_fields(assessments, field_names)
        if not field_names or field_names & {'employee', 'assessor'}:
            for assessment in assessments:
                if assessment.assessor == assessment.employee:
                    raise TrainingValidationError(gettext(
                            'sales_ops_training.msg_assess_self',
                            employee=assessment.employee.rec_name))
        check_level(assessments)


class Employee(metaclass=PoolMeta):
    __name__ = 'company.employee'
    competency_assessments = fields.One2Many(
        'sale.competency.assessment', 'employee', "Competency Levels",
        readonly=True,
        help="Every assessed level, the latest first.")
