# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt
from collections import defaultdict

from trytond import backend
from trytond.i18n import gettext
from trytond.model import fields
from trytond.model.fields import SQL_OPERATORS
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, If, In
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from .exceptions import ReleaseConfigurationError, ReleaseError

# the states of an order released to production and logistics (P3.4)
_RELEASED = ['confirmed', 'processing']


class Opportunity(metaclass=PoolMeta):
    __name__ = 'sale.opportunity'

    def _get_sale_opportunity(self):
        sale = super()._get_sale_opportunity()
        sale.employee = self.employee
        return sale


class Sale(metaclass=PoolMeta):
    __name__ = 'sale.sale'
    employee = fields.Many2One(
        'company.employee', "Salesperson",
        domain=[('company', '=', Eval('company', -1))],
        states={
            'readonly': In(Eval('state'), ['done', 'cancelled']),
            },
        help="The salesperson who owns the order (P2.2.3).")
    quality_standard = fields.Char(
        "Quality Standard",
        states={
            'readonly': ~Eval('state').in_(['draft', 'quotation']),
            },
        help="The standard the goods or services must meet, as agreed "
        "with the customer (P3.4.1).")
    special_requirements = fields.Text(
        "Special Requirements",
        states={
            'readonly': ~Eval('state').in_(['draft', 'quotation']),
            },
        help="What production and logistics must know beyond the lines: "
        "packing, marking, inspection, delivery window (P3.4.1).")
    production_notes = fields.Text(
        "Production Coordination",
        states={
            'readonly': ~Eval('state').in_(_RELEASED),
            },
        help="How production progresses against the order and the problems "
        "sales is resolving (P3.4.2).")
    delivery_status = fields.Function(fields.Selection([
                (None, ""),
                ('on_time', "On Time"),
                ('at_risk', "At Risk"),
                ('late', "Late"),
                ('delivered', "Delivered"),
                ], "Delivery Status",
            help="Whether the shipments are done by the promised delivery "
            "date, or are due within the days at risk of the sale "
            "configuration (P3.4.3)."),
        'get_delivery_status', searcher='search_delivery_status')

    @classmethod
    def default_employee(cls):
        return Transaction().context.get('employee')

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('/tree/field[@name="delivery_status"]', 'visual',
                If(Eval('delivery_status') == 'late', 'danger',
                    If(Eval('delivery_status') == 'at_risk', 'warning',
                        ''))),
            ]

    @classmethod
    def copy(cls, sales, default=None):
        default = default.copy() if default is not None else {}
        # the notes follow the production of this order, not of a copy
        default.setdefault('production_notes', None)
        return super().copy(sales, default=default)

    @classmethod
    def confirm(cls, sales):
        cls.check_promised_date(sales)
        super().confirm(sales)

    @classmethod
    def check_promised_date(cls, sales):
        """Refuse to release goods to production and logistics without the
        delivery date promised to the customer (P3.4.1)"""
        for sale in sales:
            if (not sale.shipping_date
                    and any(l.movable for l in sale.line_lines)):
                raise ReleaseError(gettext(
                        'sales_ops_policy.msg_release_promised_date',
                        sale=sale.rec_name))

    @classmethod
    def delivery_dates(cls):
        """The day delivery is judged on (the context date or today) and the
        last day of the risk window"""
        pool = Pool()
        Configuration = pool.get('sale.configuration')
        Date = pool.get('ir.date')
        today = Transaction().context.get('date') or Date.today()
        days = Configuration(1).delivery_risk_days or 0
        return today, today + dt.timedelta(days=days)

    @classmethod
    def get_delivery_status(cls, sales, name):
        today, limit = cls.delivery_dates()
        return {s.id: s._delivery_status(today, limit) for s in sales}

    def _delivery_status(self, today, limit):
        if self.shipment_state == 'sent':
            return 'delivered'
        if self.state not in _RELEASED or not self.shipping_date:
            return None
        if self.shipping_date < today:
            return 'late'
        if self.shipping_date <= limit:
            return 'at_risk'
        return 'on_time'

    @classmethod
    def _delivery_status_domains(cls, today, limit):
        "A domain per status; together they split all the sales"
        released = [
            ('shipment_state', '!=', 'sent'),
            ('state', 'in', _RELEASED),
            ]
        return {
            'delivered': [('shipment_state', '=', 'sent')],
            'late': released + [('shipping_date', '<', today)],
            'at_risk': released + [
                ('shipping_date', '>=', today),
                ('shipping_date', '<=', limit),
                ],
            'on_time': released + [('shipping_date', '>', limit)],
            None: [
                ('shipment_state', '!=', 'sent'),
                ['OR',
                    ('state', 'not in', _RELEASED),
                    ('shipping_date', '=', None),
                    ],
                ],
            }

    @classmethod
    def search_delivery_status(cls, name, clause):
        _, operator, value = clause[:3]
        if operator in {'=', '!='}:
            values = [value]
        elif operator in {'in', 'not in'}:
            values = list(value or [])
        else:
            values = []
        negative = operator in {'!=', 'not in'}
        today, limit = cls.delivery_dates()
        domains = cls._delivery_status_domains(today, limit)
        matches = [d for s, d in domains.items()
            if (s in values) != negative]
        if not matches:
            return [('id', '=', None)]
        return ['OR', *matches]


class Configuration(metaclass=PoolMeta):
    __name__ = 'sale.configuration'
    delivery_risk_days = fields.Integer(
        "Delivery Risk Days",
        help="An order not delivered is at risk from this many days before "
        "its promised delivery date (P3.4.3).")

    @classmethod
    def default_delivery_risk_days(cls):
        return 3

    @classmethod
    def validate_fields(cls, configurations, field_names):
        super().validate_fields(configurations, field_names)
        if not field_names or 'delivery_risk_days' in field_names:
            for configuration in configurations:
                days = configuration.delivery_risk_days
                if days is not None and days < 0:
                    raise ReleaseConfigurationError(gettext(
                            'sales_ops_policy.msg_release_risk_days',
                            days=days))


class ShipmentOut(metaclass=PoolMeta):
    __name__ = 'stock.shipment.out'
    promised_date = fields.Function(fields.Date(
            "Promised Delivery Date",
            help="The delivery date promised to the customer on the order; "
            "the earliest one for several orders."),
        'get_sale_release')
    quality_standard = fields.Function(fields.Char(
            "Quality Standard",
            help="The quality standard of the order."),
        'get_sale_release')
    special_requirements = fields.Function(fields.Text(
            "Special Requirements",
            help="The special requirements of the order."),
        'get_sale_release')

    @classmethod
    def get_sale_release(cls, shipments, names):
        """What the orders shipped ask of logistics, read for all the
        shipments at once whoever may read the orders (P3.4.1)"""
        pool = Pool()
        Move = pool.get('stock.move')
        Sale = pool.get('sale.sale')
        SaleLine = pool.get('sale.line')
        move = Move.__table__()
        line = SaleLine.__table__()
        sale = Sale.__table__()
        cursor = Transaction().connection.cursor()

        orders = defaultdict(dict)
        refs = {f'{cls.__name__},{s.id}': s.id for s in shipments}
        for sub in grouped_slice(list(refs), backend.MAX_QUERY_PARAMS):
            cursor.execute(*move.join(line,
                    condition=Move.origin.sql_id(move.origin, Move)
                    == line.id
                    ).join(sale, condition=line.sale == sale.id
                    ).select(
                    move.shipment, sale.id, sale.shipping_date,
                    sale.quality_standard, sale.special_requirements,
                    where=SQL_OPERATORS['in'](move.shipment, list(sub))
                    & move.origin.like(f'{SaleLine.__name__},%'),
                    distinct=True))
            for shipment, sale_id, *values in cursor:
                orders[refs[shipment]][sale_id] = values

        result = {n: {} for n in names}
        for shipment in shipments:
            sales = [orders[shipment.id][i]
                for i in sorted(orders[shipment.id])]
            if 'promised_date' in result:
                dates = [d for d, _, _ in sales if d]
                result['promised_date'][shipment.id] = (
                    min(map(_date, dates)) if dates else None)
            if 'quality_standard' in result:
                result['quality_standard'][shipment.id] = _join(
                    (q for _, q, _ in sales), '; ')
            if 'special_requirements' in result:
                result['special_requirements'][shipment.id] = _join(
                    (r for _, _, r in sales), '\n\n')
        return result


def _date(value):
    # SQLite may return the column as text
    if isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


def _join(values, separator):
    "The distinct texts in their order, or None"
    texts = list(dict.fromkeys(v for v in values if v))
    return separator.join(texts) if texts else None


class Production(metaclass=PoolMeta):
    __name__ = 'production'

    @classmethod
    def _get_origin(cls):
        # production may be requested for an order or one of its lines
        return super()._get_origin() | {'sale.sale', 'sale.line'}


class SaleProduction(metaclass=PoolMeta):
    __name__ = 'sale.sale'
    productions = fields.Function(fields.Many2Many(
            'production', None, None, "Productions",
            help="The production requested for the order or its lines "
            "(P3.4.2)."),
        'get_productions')

    @classmethod
    def get_productions(cls, sales, name):
        pool = Pool()
        Production = pool.get('production')
        refs = {}
        for sale in sales:
            refs[f'{cls.__name__},{sale.id}'] = sale.id
            refs.update(
                (f'{l.__name__},{l.id}', sale.id) for l in sale.lines)
        productions = []
        for sub in grouped_slice(list(refs), backend.MAX_QUERY_PARAMS):
            productions.extend(Production.search([
                        ('origin', 'in', list(sub)),
                        ]))
        productions.sort(key=lambda p: (
                p.planned_start_date or p.planned_date or dt.date.max, p.id))
        result = {s.id: [] for s in sales}
        for production in productions:
            result[refs[str(production.origin)]].append(production.id)
        return result
