# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Market intelligence: what salespeople observe in the market (policy P3.1.1)"
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, fields
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'
    competitor = fields.Boolean(
        "Competitor",
        help="Check for a company that competes with us; market "
        "intelligence can then record its moves.")

    @classmethod
    def default_competitor(cls):
        return False


class Intelligence(ModelSQL, ModelView):
    "Market Intelligence"
    __name__ = 'sale.market.intelligence'
    __string__ = "Market Intelligence"
    _rec_name = 'summary'

    kind = fields.Selection([
            ('industry_trend', "Industry Trend"),
            ('competitor_move', "Competitor Move"),
            ('need_change', "Customer Need Change"),
            ('price_change', "Price Change"),
            ('other', "Other"),
            ], "Kind", required=True, sort=False)
    date = fields.Date(
        "Date", required=True,
        help="The day the information was observed.")
    summary = fields.Char("Summary", required=True)
    details = fields.Text("Details")
    source = fields.Char(
        "Source", help="Where the information comes from")
    customers = fields.Many2Many(
        'sale.market.intelligence-party.party', 'intelligence', 'party',
        "Customers",
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        help="The customers the information concerns.")
    products = fields.Many2Many(
        'sale.market.intelligence-product.product', 'intelligence', 'product',
        "Products",
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        help="Our products the information concerns.")
    competitors = fields.Many2Many(
        'sale.market.intelligence-competitor', 'intelligence', 'competitor',
        "Competitors",
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        domain=[('competitor', '=', True)],
        help="The competitors the information concerns.")
    employee = fields.Many2One(
        'company.employee', "Salesperson", required=True,
        domain=[('company', '=', Eval('company', -1))],
        help="Who recorded the information.")
    company = fields.Many2One('company.company', "Company", required=True)
    # read with the other fields: the calendar colours each note by kind
    color = fields.Function(
        fields.Char("Color"), 'on_change_with_color', loading='eager')

    # Calendar colours of the kinds
    _colors = {
        'industry_trend': '#1f77b4',
        'competitor_move': '#d62728',
        'need_change': '#2ca02c',
        'price_change': '#ff7f0e',
        'other': '#7f7f7f',
        }

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()

    @classmethod
    def default_employee(cls):
        return Transaction().context.get('employee')

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @fields.depends('kind')
    def on_change_with_color(self, name=None):
        return self._colors.get(self.kind)

    @classmethod
    def validate_fields(cls, notes, field_names):
        super().validate_fields(notes, field_names)
        if not field_names or 'date' in field_names:
            cls.check_date(notes)

    @classmethod
    def check_date(cls, notes):
        "A note records what was observed: it cannot be dated in the future"
        pool = Pool()
        Date = pool.get('ir.date')
        Lang = pool.get('ir.lang')
        today = Date.today()
        for note in notes:
            if note.date and note.date > today:
                lang = Lang.get()
                raise ValidationError(gettext(
                        'sales_ops_policy.msg_market_intelligence_future',
                        intelligence=note.rec_name,
                        date=lang.strftime(note.date),
                        today=lang.strftime(today)))


class Intelligence_Party(ModelSQL):
    "Market Intelligence - Customer"
    __name__ = 'sale.market.intelligence-party.party'
    __string__ = "Market Intelligence - Customer"
    intelligence = fields.Many2One(
        'sale.market.intelligence', "Market Intelligence", required=True,
        ondelete='CASCADE')
    party = fields.Many2One(
        'party.party', "Customer", required=True, ondelete='CASCADE')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('intelligence')


class Intelligence_Product(ModelSQL):
    "Market Intelligence - Product"
    __name__ = 'sale.market.intelligence-product.product'
    __string__ = "Market Intelligence - Product"
    intelligence = fields.Many2One(
        'sale.market.intelligence', "Market Intelligence", required=True,
        ondelete='CASCADE')
    product = fields.Many2One(
        'product.product', "Product", required=True, ondelete='CASCADE')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('intelligence')


class Intelligence_Competitor(ModelSQL):
    "Market Intelligence - Competitor"
    __name__ = 'sale.market.intelligence-competitor'
    __string__ = "Market Intelligence - Competitor"
    intelligence = fields.Many2One(
        'sale.market.intelligence', "Market Intelligence", required=True,
        ondelete='CASCADE')
    competitor = fields.Many2One(
        'party.party', "Competitor", required=True, ondelete='CASCADE')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('intelligence')
