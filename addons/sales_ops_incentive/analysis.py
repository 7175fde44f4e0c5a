# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The revenue targets (P5.3.1) beside the achievement of the salespeople
and the teams per period (P5.2.1)"""
from sql import Column
from sql.operators import Or

from trytond import backend
from trytond.model import fields
from trytond.model.fields import SQL_OPERATORS
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool, PoolMeta
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from sales_ops_policy.analysis import _rate
from sales_ops_policy.collection import _decimal
from sales_ops_policy.sale import _date

# the KPI whose targets the achievement is measured against
REVENUE_KPI = 'REV'


class TargetMixin:
    "The revenue target of the KPI period of each row's period"
    __slots__ = ()
    revenue_target = fields.Function(Monetary(
            "Revenue Target", digits='currency', currency='currency',
            help="The target of the revenue KPI for the period starting on "
            "the same day."),
        'get_target')
    achievement = fields.Function(fields.Float(
            "Achievement", digits=(1, 4),
            help="The revenue ÷ the revenue target."),
        'get_target')
    # the scope of the targets and its column in the targets
    _target_scope = None

    @classmethod
    def get_target(cls, records, names):
        "The targets of all the records by one query"
        pool = Pool()
        Kpi = pool.get('sale.kpi')
        Period = pool.get('sale.kpi.period')
        Target = pool.get('sale.kpi.target')
        kpi = Kpi.__table__()
        period = Period.__table__()
        target = Target.__table__()
        context = Transaction().context
        cursor = Transaction().connection.cursor()
        result = {n: dict.fromkeys(map(int, records)) for n in names}
        # the periods of the time series that KPI periods also have
        period_type = context.get('period', 'month')
        if period_type not in {'month', 'year'} or not records:
            return result

        column = Column(target, cls._target_scope)
        keys = {getattr(r, cls._key).id for r in records}
        dates = {r.date for r in records}
        of_keys = Or([SQL_OPERATORS['in'](column, list(sub_keys))
                for sub_keys in grouped_slice(keys, backend.MAX_QUERY_PARAMS)])
        cursor.execute(*target
            .join(period, condition=period.id == target.period)
            .join(kpi, condition=kpi.id == target.kpi)
            .select(column, period.start_date, target.value,
                where=(kpi.code == REVENUE_KPI)
                & (target.scope == cls._target_scope)
                & (period.type == period_type)
                & (period.company == context.get('company'))
                & period.start_date.in_(list(dates))
                & of_keys))
        values = {(k, _date(d)): _decimal(v) for k, d, v in cursor}
        for record in records:
            value = values.get((getattr(record, cls._key).id, record.date))
            if 'revenue_target' in names:
                result['revenue_target'][record.id] = value
            if 'achievement' in names and value is not None:
                result['achievement'][record.id] = _rate(
                    record.revenue, value)
        return result


class AchievementEmployeeTimeseries(TargetMixin, metaclass=PoolMeta):
    __name__ = 'sale.analysis.achievement.employee.time_series'
    _target_scope = 'employee'


class AchievementTeamTimeseries(TargetMixin, metaclass=PoolMeta):
    __name__ = 'sale.analysis.achievement.team.time_series'
    _target_scope = 'team'
