# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Sales analysis (P5.2.1): the market share of the segments whose size
the managers enter, the effectiveness of the lead channels, the desks of
each role and the export of the reports."""
import datetime as dt
from decimal import Decimal

from lxml import etree

from trytond.model.exceptions import AccessError, ValidationError
from trytond.modules.company.tests import set_company
from trytond.pool import Pool
from trytond.pyson import PYSONDecoder
from trytond.tests import test_tryton
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from sales_ops_policy.tests.test_expense import ExpenseMixin

JUNE = {'from_date': dt.date(2026, 6, 1), 'to_date': dt.date(2026, 6, 30)}
# the figures of the channel report compared
FIGURES = [
    'leads', 'won', 'decided', 'conversion_rate', 'win_rate', 'revenue',
    'customers', 'expense', 'cost_per_customer', 'return_ratio']


def june(day):
    return dt.date(2026, 6, day)


BOARDS = {
    'alice': 'act_dashboard_salesperson',
    'sam': 'act_dashboard_supervisor',
    'mary': 'act_dashboard_manager',
    }


class MarketShareTestCase(ExpenseMixin, test_tryton._DBTestCase):
    "Test the market share, the channel effectiveness and the desks"

    def build_with_market(self):
        "The company built on the day of today_is, nothing posted; its market"
        self.today_is()
        self.build(post=False)
        with set_company(self.company):
            self.build_market()

    def build_market(self):
        """Guangdong with Shenzhen in it and Zhejiang; customers of the
        mining industry in Shenzhen and, through another address than the
        invoice one, in Guangdong, a retailer in Zhejiang; pumps in the
        Pumps line and its Small Pumps sub-line, valves apart"""
        pool = Pool()
        Country = pool.get('country.country')
        Subdivision = pool.get('country.subdivision')
        Party = pool.get('party.party')
        Category = pool.get('product.category')
        Template = pool.get('product.template')
        Uom = pool.get('product.uom')

        china, = Country.create([{'name': "China", 'code': 'CN'}])
        self.guangdong, self.zhejiang = Subdivision.create([{
                    'country': china.id, 'name': "Guangdong",
                    'code': 'CN-GD', 'type': 'province',
                    }, {
                    'country': china.id, 'name': "Zhejiang",
                    'code': 'CN-ZJ', 'type': 'province',
                    }])
        shenzhen, = Subdivision.create([{
                    'country': china.id, 'name': "Shenzhen",
                    'type': 'city', 'parent': self.guangdong.id,
                    }])
        self.pumps, = Category.create([{'name': "Pumps"}])
        small_pumps, self.valves = Category.create([
                {'name': "Small Pumps", 'parent': self.pumps.id},
                {'name': "Valves"},
                ])
        unit, = Uom.search([('name', '=', "Unit")])

        def product(name, categories):
            template, = Template.create([{
                        'name': name, 'type': 'service',
                        'default_uom': unit.id, 'salable': True,
                        'sale_uom': unit.id, 'list_price': Decimal(100),
                        'categories': [('add', [c.id for c in categories])],
                        'products': [('create', [{}])],
                        }])
            return template.products[0]
        # a pump is in the line and in its sub-line: it counts once
        self.pump = product("Pump", [self.pumps, small_pumps])
        self.small_pump = product("Small Pump", [small_pumps])
        self.valve = product("Valve", [self.valves])
        self.jade, self.ore, self.shop = Party.create([{
                    'name': "Jade Mining", 'industry': "Mining",
                    'addresses': [('create', [{
                                    'country': china.id,
                                    'subdivision': shenzhen.id}])],
                    }, {
                    'name': "Ore Works", 'industry': "mining",
                    'addresses': [('create', [{
                                    'country': china.id}, {
                                    'country': china.id,
                                    'subdivision': self.guangdong.id}])],
                    }, {
                    'name': "Hangzhou Shop", 'industry': "Retail",
                    'addresses': [('create', [{
                                    'country': china.id,
                                    'subdivision': self.zhejiang.id}])],
                    }])

    def sale(self, party, date, state, lines):
        "An order of party dated date in state; lines: (product, amount)"
        pool = Pool()
        Sale = pool.get('sale.sale')
        with set_company(self.company):
            sale, = Sale.create([{
                        'party': party.id,
                        'employee': self.employees['alice'].id,
                        # the first address: Ore Works' has no subdivision
                        'invoice_address': party.addresses[0].id,
                        'sale_date': date,
                        'lines': [('create', [{
                                        'product': p.id,
                                        'quantity': 1,
                                        'unit': p.default_uom.id,
                                        'unit_price': a,
                                        } for p, a in lines])],
                        }])
        # the revenue reads the state only: the workflow is tested elsewhere
        if state != 'draft':
            Sale.write([sale], {'state': state})
        return sale

    def size(self, segment_type, value, start, end, amount, **values):
        "A market size entry"
        pool = Pool()
        Size = pool.get('sale.market.size')
        field = {
            'region': 'subdivision',
            'industry': 'industry',
            'product_line': 'product_category',
            }[segment_type]
        with set_company(self.company):
            size, = Size.create([{
                        'segment_type': segment_type,
                        field: getattr(value, 'id', value),
                        'start_date': start,
                        'end_date': end,
                        'amount': amount,
                        'source': "Industry association yearbook",
                        **values,
                        }])
        return size

    def orders(self):
        "The orders of the fourth quarter 2025 and of the first of 2026"
        q1 = dt.date(2026, 2, 10)
        self.sale(self.jade, q1, 'confirmed', [(self.pump, Decimal(2000))])
        self.sale(self.ore, dt.date(2026, 3, 31), 'processing', [
                (self.valve, Decimal(500))])
        self.sale(self.shop, q1, 'done', [(self.small_pump, Decimal(300))])
        # after the quarter, a quotation and a cancelled order do not count
        self.sale(self.jade, dt.date(2026, 4, 1), 'done', [
                (self.pump, Decimal(1000))])
        self.sale(self.jade, q1, 'quotation', [(self.pump, Decimal(700))])
        self.sale(self.ore, q1, 'cancelled', [(self.valve, Decimal(900))])
        # the quarter before
        self.sale(self.jade, dt.date(2025, 11, 5), 'done', [
                (self.pump, Decimal(400))])

    @with_transaction()
    def test_market_share(self):
        """The share of each segment type on hand-computed revenue, and the
        change against the entry before, read in one go"""
        pool = Pool()
        Size = pool.get('sale.market.size')
        self.build_with_market()
        self.orders()
        q4 = (dt.date(2025, 10, 1), dt.date(2025, 12, 31))
        q1 = (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
        region_q4 = self.size('region', self.guangdong, *q4, Decimal(8000))
        # Jade (Shenzhen, in Guangdong) 2000 + Ore (Guangdong by its other
        # address) 500
        region_q1 = self.size('region', self.guangdong, *q1, Decimal(10000))
        # Jade "Mining" 2000 + Ore "mining" 500
        industry = self.size('industry', "MINING", *q1, Decimal(5000))
        # the pump once 2000 + the small pump of the sub-line 300
        line_q1 = self.size('product_line', self.pumps, *q1, Decimal(4000))
        line_q4 = self.size('product_line', self.pumps, *q4, Decimal(1000))
        # no order of Zhejiang in the fourth quarter
        zhejiang = self.size('region', self.zhejiang, *q4, Decimal(3000))

        sizes = Size.browse([
                region_q4, region_q1, industry, line_q1, line_q4, zhejiang])
        self.assertEqual([
                (s.revenue, s.share, s.previous, s.previous_share,
                    s.share_change) for s in sizes], [
                (Decimal('400.00'), 0.05, None, None, None),
                (Decimal('2500.00'), 0.25, region_q4, 0.05, 20.0),
                (Decimal('2500.00'), 0.5, None, None, None),
                (Decimal('2300.00'), 0.575, line_q4, 0.4, 17.5),
                (Decimal('400.00'), 0.4, None, None, None),
                (Decimal('0.00'), 0.0, None, None, None),
                ])
        self.assertEqual(
            [s.segment for s in sizes],
            ["Guangdong", "Guangdong", "MINING", "Pumps", "Pumps",
                "Zhejiang"])

        # reading one entry computes the one before it too
        region_q1 = Size(region_q1.id)
        self.assertEqual(region_q1.share_change, 20.0)

        # the report exports as it shows
        self.assertEqual(Size.export_data([region_q1, industry], [
                    'segment_type', 'segment', 'revenue', 'share',
                    'previous_share', 'share_change']), [
                ['region', "Guangdong", Decimal('2500.00'), 0.25, 0.05,
                    20.0],
                ['industry', "MINING", Decimal('2500.00'), 0.5, '', ''],
                ])

    @with_transaction()
    def test_market_size_validation(self):
        """A size above zero, a period that ends after it starts, one entry
        per segment and day"""
        pool = Pool()
        Size = pool.get('sale.market.size')
        self.build_with_market()
        q1 = (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
        self.size('industry', "Mining", *q1, Decimal(5000))
        # the next quarter, another segment or another type are no overlap
        self.size(
            'industry', "mining", dt.date(2026, 4, 1), dt.date(2026, 6, 30),
            Decimal(100))
        self.size('industry', "Retail", *q1, Decimal(100))
        self.size('product_line', self.pumps, *q1, Decimal(100))
        # the value of another type than the entry's is dropped
        size = self.size(
            'region', self.zhejiang, *q1, Decimal(100), industry="Mining")
        self.assertIsNone(size.industry)

        # the refused records stay in this transaction, which the client's
        # request rolls back: each case uses its own segment
        with self.assertRaisesRegex(
                ValidationError,
                r'The market size of "Textiles .*" must be greater than '
                r'zero, not usd0\.00'):
            self.size('industry', "Textiles", *q1, Decimal(0))
        with self.assertRaisesRegex(
                ValidationError,
                r'ends on 12/31/2025, before it starts on 01/01/2026'):
            self.size(
                'industry', "Leather", dt.date(2026, 1, 1),
                dt.date(2025, 12, 31), Decimal(100))
        # "MINING " is the segment "Mining"
        with self.assertRaisesRegex(
                ValidationError,
                r'"MINING .*" overlaps "Mining .*" of the same segment'):
            self.size(
                'industry', "MINING ", dt.date(2025, 12, 1),
                dt.date(2026, 1, 1), Decimal(100))
        # changing the segment makes it overlap
        with self.assertRaisesRegex(ValidationError, r'overlaps "Pumps'):
            Size.write([Size(size.id)], {'segment_type': 'product_line',
                    'product_category': self.pumps.id})

    @with_transaction()
    def test_market_size_access(self):
        """Salespeople read the market sizes; managers and the
        administrator enter them; only managers delete"""
        pool = Pool()
        Size = pool.get('sale.market.size')
        self.build_with_market()
        values = {
            'segment_type': 'industry', 'industry': "Mining",
            'start_date': dt.date(2026, 1, 1),
            'end_date': dt.date(2026, 3, 31),
            'amount': Decimal(5000), 'source': "Survey",
            'company': self.company.id,
            }
        with self.as_user('alice'):
            with self.assertRaises(AccessError):
                Size.create([values])
        with self.as_user('mary'):
            size, = Size.create([values])
        with self.as_user('olga'):
            Size.write([size], {'source': "Survey 2026"})
            with self.assertRaises(AccessError):
                Size.delete([size])
        with self.as_user('alice'):
            self.assertEqual(Size.search([]), [size])
            self.assertEqual(Size(size.id).share, 0.0)
            with self.assertRaises(AccessError):
                Size.write([size], {'source': "Rumour"})
        with self.as_user('fred'):
            with self.assertRaises(AccessError):
                Size.search([])
        with self.as_user('mary'):
            Size.delete([size])
        self.assertEqual(Size.search([]), [])

    def build_channels(self):
        """Opportunities of June from the trade fair and the website of
        Alice, Paula (her team) and Bob (no team), with the claims spent
        on them"""
        pool = Pool()
        Channel = pool.get('sale.lead.channel')
        Opportunity = pool.get('sale.opportunity')
        Party = pool.get('party.party')
        self.fair, self.website = Channel.create([
                {'name': "Trade Fair", 'code': 'trade_fair'},
                {'name': "Website", 'code': 'website'},
                ])
        c1, c2, c3 = Party.create([{'name': f"C{i}"} for i in range(3)])

        def opportunity(login, channel, start, party, state=None, end=None,
                amount=None):
            with set_company(self.company):
                record, = Opportunity.create([{
                            'party': party.id,
                            'employee': self.employees[login].id,
                            'description': "Pumps",
                            'channel': channel.id,
                            'start_date': start,
                            'amount': amount or Decimal(100),
                            }])
            if state:
                # the outcome is what counts here, not the workflow
                Opportunity.write([record], {
                        'state': state, 'end_date': end})
            return record
        self.o1 = opportunity(
            'alice', self.fair, june(2), c1, 'won', june(10), Decimal(4000))
        self.o2 = opportunity(
            'alice', self.fair, june(3), c1, 'lost', june(12))
        self.o3 = opportunity('alice', self.fair, june(5), c2)
        self.o4 = opportunity(
            'paula', self.fair, june(4), c2, 'won', june(20), Decimal(3000))
        # a lead of May won in June: revenue of June, not a lead of June
        opportunity(
            'alice', self.fair, dt.date(2026, 5, 20), c1, 'won', june(8),
            Decimal(1000))
        self.o6 = opportunity(
            'paula', self.website, june(6), c3, 'lost', june(7))
        self.o7 = opportunity(
            'bob', self.fair, june(8), c3, 'won', june(9), Decimal(500))
        self.o8 = opportunity('paula', self.website, june(9), c3)
        # won in May: outside the period
        opportunity(
            'alice', self.fair, dt.date(2026, 5, 2), c1, 'won',
            dt.date(2026, 5, 30), Decimal(9000))

        self.claim('posted', lines=[
                (Decimal(300), self.o1, june(2)),
                # not spent on an opportunity: no channel
                (Decimal(200), None, june(2)),
                ])
        self.claim('posted', login='paula', lines=[
                (Decimal(100), self.o4, june(10)),
                (Decimal(50), self.o6, june(11)),
                ])
        # approved but not posted, as the return on expense does not count
        self.claim('approved', lines=[(Decimal(150), self.o2, june(10))])
        # posted in May
        self.claim('posted', lines=[
                (Decimal(40), self.o1, dt.date(2026, 5, 20))])

    def effectiveness(self, login, **context):
        """{channel: figures} of the channel report of June as login, the
        context filled as the client does from the analysis context"""
        pool = Pool()
        Effectiveness = pool.get('sale.lead.channel.effectiveness')
        context = {'team': None, 'salesperson': None, **context}
        with self.as_user(login), Transaction().set_context(
                company=self.company.id, **JUNE, **context):
            rows = Effectiveness.search([])
            return {r.channel: tuple(getattr(r, n) for n in FIGURES)
                for r in rows}

    @with_transaction()
    def test_channel_effectiveness(self):
        """Leads, conversion, revenue won, expense, cost per customer won
        and return ratio per channel, each role seeing its opportunities"""
        pool = Pool()
        Effectiveness = pool.get('sale.lead.channel.effectiveness')
        self.today_is()
        self.build()
        self.build_channels()
        fair, website = self.fair, self.website
        # fair: leads o1, o2, o3, o4, o7; won o1, o4, o7; lost o2; revenue
        # 4000 + 3000 + 1000 (lead of May) + 500 from C1, C2, C3; expense
        # 300 + 100
        department = {
            fair: (5, 3, 4, 0.6, 0.75, Decimal('8500.00'), 3,
                Decimal('400.00'), Decimal('133.33'), 21.25),
            website: (2, 0, 1, 0.0, 0.0, Decimal('0.00'), 0,
                Decimal('50.00'), None, 0.0),
            }
        self.assertEqual(self.effectiveness('mary'), department)
        # the administrator reads the report without reading opportunities
        self.assertEqual(self.effectiveness('olga'), department)
        self.assertEqual(self.effectiveness('fred'), department)
        # Sam's team: Bob's o7 is not theirs
        team = {
            fair: (4, 2, 3, 0.5, 2 / 3, Decimal('8000.00'), 2,
                Decimal('400.00'), Decimal('200.00'), 20.0),
            website: department[website],
            }
        self.assertEqual(self.effectiveness('sam'), team)
        self.assertEqual(self.effectiveness('mary', team=self.team.id), team)
        # Alice's own: o1, o2, o3, the lead of May won in June and her claim
        self.assertEqual(self.effectiveness('alice'), {
                fair: (3, 1, 2, 1 / 3, 0.5, Decimal('5000.00'), 1,
                    Decimal('300.00'), Decimal('300.00'), 5000 / 300),
                })
        # the manager narrows to Paula: her leads, wins and claims
        self.assertEqual(
            self.effectiveness(
                'mary', salesperson=self.employees['paula'].id), {
                fair: (1, 1, 1, 1.0, 1.0, Decimal('3000.00'), 1,
                    Decimal('100.00'), Decimal('100.00'), 30.0),
                website: department[website],
                })
        # Lena of legal has no report
        with self.assertRaises(AccessError):
            self.effectiveness('lena')

        # the report exports as it shows
        with self.as_user('alice'), Transaction().set_context(
                company=self.company.id, salesperson=None, **JUNE):
            rows = Effectiveness.search([])
            self.assertEqual(Effectiveness.export_data(rows, [
                        'channel/rec_name', 'leads', 'won', 'revenue',
                        'expense', 'cost_per_customer']), [
                    ["Trade Fair", 3, 1, Decimal('5000.00'),
                        Decimal('300.00'), Decimal('300.00')],
                    ])

    @with_transaction()
    def test_return_on_expense_unchanged(self):
        """The return on expense shares its queries with the channel
        report: its June figures per team and channel"""
        pool = Pool()
        Return = pool.get('sale.expense.return')
        self.today_is()
        self.build()
        self.build_channels()
        with self.as_user('mary'), Transaction().set_context(
                company=self.company.id, **JUNE):
            figures = {(r.team, r.channel): (r.expense, r.revenue)
                for r in Return.search([])}
        self.assertEqual(figures, {
                (self.team, self.fair): (
                    Decimal('400.00'), Decimal('8000.00')),
                (self.team, None): (Decimal('200.00'), Decimal('0')),
                (self.team, self.website): (
                    Decimal('50.00'), Decimal('0')),
                # Bob is in no team
                (None, self.fair): (Decimal('0'), Decimal('500.00')),
                })

    @with_transaction()
    def test_desks(self):
        """Each role's desk opens: its board, the actions on it with their
        views, and their rows as the role sees them"""
        pool = Pool()
        ActWindow = pool.get('ir.action.act_window')
        View = pool.get('ir.ui.view')
        ModelData = pool.get('ir.model.data')
        self.today_is()
        self.build()
        self.build_channels()
        pipelines = {}
        for login, xml_id in BOARDS.items():
            with self.subTest(login=login), self.as_user(login):
                action = ActWindow.get(f'sales_ops_policy.{xml_id}')
                self.assertFalse(action['res_model'])
                (view_id, view_type), = action['views']
                self.assertEqual(view_type, 'board')
                board = etree.fromstring(View(view_id).view_get()['arch'])
                # the place the incentive module puts the score in
                self.assertEqual(len(board.xpath('//group[@id="score"]')), 1)
                names = [a.get('name') for a in board.xpath('//action')]
                self.assertGreaterEqual(len(names), 3)
                for name in names:
                    act = ActWindow.get(name)
                    Model = pool.get(act['res_model'])
                    for act_view_id, act_view_type in act['views']:
                        view = Model.fields_view_get(
                            act_view_id, act_view_type)
                        self.assertEqual(view['model'], act['res_model'])
                    decoder = PYSONDecoder({'_user': self.users[login].id})
                    domain = decoder.decode(act['pyson_domain'])
                    records = Model.search(domain)
                    if name.endswith('act_opportunity_pipeline'):
                        pipelines[login] = set(records)
        # the same pipeline action, narrowed by the record rules
        self.assertEqual(pipelines, {
                'alice': {self.o3},
                'sam': {self.o3, self.o8},
                'mary': {self.o3, self.o8},
                })
        self.assertTrue(ModelData.get_id(
                'sales_ops_policy', 'menu_dashboard_salesperson'))
