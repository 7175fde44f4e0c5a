# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Negotiation: needs, proposals and negotiated terms (policy P3.2)"
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, fields
from trytond.model.exceptions import ValidationError
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .approval import ApprovalMixin
from .model import check_not_negative

_RATE_DIGITS = (16, 4)


class Configuration(metaclass=PoolMeta):
    __name__ = 'sale.configuration'
    discount_limit = fields.Numeric(
        "Discount Limit", digits=_RATE_DIGITS,
        domain=['OR', ('discount_limit', '=', None),
            [('discount_limit', '>=', 0), ('discount_limit', '<=', 1)]],
        help="The largest discount off the list price a salesperson may "
        "grant without the supervisor's approval.")
    margin_floor = fields.Numeric(
        "Margin Floor", digits=_RATE_DIGITS,
        domain=['OR', ('margin_floor', '=', None),
            [('margin_floor', '>=', -1), ('margin_floor', '<=', 1)]],
        help="A quotation whose margin is below needs the supervisor's "
        "approval.")

    @classmethod
    def default_discount_limit(cls):
        return Decimal('0.1')

    @classmethod
    def default_margin_floor(cls):
        return Decimal('0.15')


class Employee(metaclass=PoolMeta):
    __name__ = 'company.employee'
    discount_limit = fields.Numeric(
        "Discount Limit", digits=_RATE_DIGITS,
        domain=['OR', ('discount_limit', '=', None),
            [('discount_limit', '>=', 0), ('discount_limit', '<=', 1)]],
        help="Overrides the company's discount limit for this salesperson.")

    def get_discount_limit(self):
        pool = Pool()
        Configuration = pool.get('sale.configuration')
        if self.discount_limit is not None:
            return self.discount_limit
        return Configuration(1).discount_limit or Decimal(0)


class Opportunity(metaclass=PoolMeta):
    __name__ = 'sale.opportunity'
    _needs_states = {
        'readonly': Eval('state').in_(
            ['converted', 'won', 'lost', 'cancelled']),
        }

    requirements = fields.Text("Requirements", states=_needs_states)
    pain_points = fields.Text("Pain Points", states=_needs_states)
    decision_makers = fields.Text(
        "Decision Makers", states=_needs_states,
        help="Who decides, who influences and who signs.")
    budget = Monetary(
        "Budget", currency='currency', digits='currency',
        states=_needs_states)
    timeline = fields.Char(
        "Timeline", states=_needs_states,
        help="When the customer wants to decide and to receive.")
    proposals = fields.One2Many(
        'sale.opportunity.proposal', 'opportunity', "Proposals",
        states=_needs_states)
    current_proposal = fields.Function(fields.Many2One(
            'sale.opportunity.proposal', "Current Proposal"),
        'get_current_proposal')
    discount = fields.Numeric(
        "Negotiated Discount", digits=_RATE_DIGITS, states=_needs_states,
        help="Off the list price, on every line without an agreed price.")
    delivery_date = fields.Date(
        "Promised Delivery Date", states=_needs_states)
    after_sales_terms = fields.Text(
        "After-Sales Service Terms", states=_needs_states)

    @classmethod
    def validate_fields(cls, opportunities, field_names):
        super().validate_fields(opportunities, field_names)
        cls.check_negotiation(opportunities, field_names)

    @classmethod
    def check_negotiation(cls, opportunities, field_names=None):
        if field_names and not (field_names & {'budget', 'discount'}):
            return
        check_not_negative(opportunities, 'budget')
        for opportunity in opportunities:
            if (opportunity.discount is not None
                    and not 0 <= opportunity.discount < 1):
                raise ValidationError(gettext(
                        'sales_ops_policy.msg_discount_range',
                        record=opportunity.rec_name))

    @classmethod
    def get_current_proposal(cls, opportunities, name):
        pool = Pool()
        Proposal = pool.get('sale.opportunity.proposal')
        proposals = Proposal.search([
                ('opportunity', 'in', [o.id for o in opportunities]),
                ('current', '=', True),
                ])
        result = dict.fromkeys(map(int, opportunities))
        result.update((p.opportunity.id, p.id) for p in proposals)
        return result

    def _get_sale_opportunity(self):
        sale = super()._get_sale_opportunity()
        if self.delivery_date:
            sale.shipping_date = self.delivery_date
        sale.negotiated_terms = self.negotiated_terms_text()
        return sale

    def negotiated_terms_text(self):
        "The terms agreed with the customer, as they go on the order"
        pool = Pool()
        Lang = pool.get('ir.lang')
        lang = Lang.get()
        lines = []
        if self.discount:
            lines.append(gettext(
                    'sales_ops_policy.msg_terms_discount',
                    discount=lang.format('%.2f', self.discount * 100)))
        if self.delivery_date:
            lines.append(gettext(
                    'sales_ops_policy.msg_terms_delivery',
                    date=lang.strftime(self.delivery_date)))
        if self.payment_term:
            lines.append(gettext(
                    'sales_ops_policy.msg_terms_payment',
                    term=self.payment_term.rec_name))
        if self.current_proposal:
            lines.append(gettext(
                    'sales_ops_policy.msg_terms_proposal',
                    proposal=self.current_proposal.rec_name))
        if self.after_sales_terms:
            lines.append(self.after_sales_terms)
        return '\n'.join(lines)


class Proposal(ModelSQL, ModelView):
    "Sales proposal version for an opportunity (P3.2.2)"
    __name__ = 'sale.opportunity.proposal'
    __string__ = "Sales Proposal"
    opportunity = fields.Many2One(
        'sale.opportunity', "Opportunity", required=True, ondelete='CASCADE')
    number = fields.Char("Version", readonly=True)
    date = fields.Date("Date", required=True)
    validity_date = fields.Date("Valid Until")
    price = Monetary(
        "Price", currency='currency', digits='currency', required=True)
    currency = fields.Function(fields.Many2One(
            'currency.currency', "Currency"), 'on_change_with_currency')
    description = fields.Text("Description")
    document = fields.Binary("Document", filename='document_name')
    document_name = fields.Char("Document Name")
    current = fields.Boolean(
        "Current", help="The version the customer is considering.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('opportunity')
        cls._order = [('opportunity', 'ASC'), ('date', 'DESC'),
            ('id', 'DESC')]

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()

    @classmethod
    def default_current(cls):
        return True

    @fields.depends('opportunity', '_parent_opportunity.currency')
    def on_change_with_currency(self, name=None):
        return self.opportunity.currency if self.opportunity else None

    def get_rec_name(self, name):
        return f'{self.opportunity.rec_name} v{self.number}'

    @classmethod
    def validate_fields(cls, proposals, field_names):
        super().validate_fields(proposals, field_names)
        check_not_negative(proposals, 'price')
        for proposal in proposals:
            if (proposal.validity_date and proposal.date
                    and proposal.validity_date < proposal.date):
                raise ValidationError(gettext(
                        'sales_ops_policy.msg_proposal_validity',
                        proposal=proposal.rec_name))

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if mode == 'create' and not values.get('number'):
            table = cls.__table__()
            cursor = Transaction().connection.cursor()
            cursor.execute(*table.select(
                    table.id, where=table.opportunity
                    == values.get('opportunity', -1)))
            values['number'] = str(len(cursor.fetchall()) + 1)
        return values

    @classmethod
    def on_modification(cls, mode, proposals, field_names=None):
        super().on_modification(mode, proposals, field_names=field_names)
        if mode in {'create', 'write'} and (
                field_names is None or 'current' in field_names):
            # One current version per opportunity: the latest marked wins
            currents = {p.opportunity.id: p.id for p in proposals
                if p.current}
            if currents:
                others = cls.search([
                        ('opportunity', 'in', list(currents)),
                        ('id', 'not in', list(currents.values())),
                        ('current', '=', True),
                        ])
                if others:
                    cls.write(others, {'current': False})


class OpportunityLine(metaclass=PoolMeta):
    __name__ = 'sale.opportunity.line'
    unit_price = Monetary(
        "Agreed Unit Price", currency='currency', digits='currency',
        help="Leave empty to apply the negotiated discount to the list "
        "price.")
    currency = fields.Function(fields.Many2One(
            'currency.currency', "Currency"), 'on_change_with_currency')

    @fields.depends('opportunity', '_parent_opportunity.currency')
    def on_change_with_currency(self, name=None):
        return self.opportunity.currency if self.opportunity else None

    @classmethod
    def validate_fields(cls, lines, field_names):
        super().validate_fields(lines, field_names)
        check_not_negative(lines, 'unit_price')

    def get_sale_line(self, sale):
        line = super().get_sale_line(sale)
        discount = self.opportunity.discount or Decimal(0)
        if self.unit_price is not None:
            line.unit_price = self.unit_price
        elif discount and line.unit_price is not None:
            line.unit_price = (line.unit_price * (1 - discount)).quantize(
                Decimal(1) / 10 ** line.__class__.unit_price.digits[1])
        return line


class Sale(ApprovalMixin, metaclass=PoolMeta):
    __name__ = 'sale.sale'
    negotiated_terms = fields.Text(
        "Negotiated Terms",
        states={
            'readonly': Eval('state') != 'draft',
            },
        help="Price, delivery, payment and after-sales service terms "
        "agreed with the customer (P3.2.3).")

    def approval_amount(self):
        "The total in company currency"
        pool = Pool()
        Currency = pool.get('currency.currency')
        with Transaction().set_context(date=self.sale_date):
            return Currency.compute(
                self.currency, self.total_amount or 0,
                self.company.currency, round=False)

    @classmethod
    def quote(cls, sales):
        # a quotation over the limits waits for the supervisor (P3.2.3)
        super().quote(cls._approve_before_quote(sales))

    @classmethod
    def draft(cls, sales):
        super().draft(sales)
        cls.cancel_approvals(sales)

    @classmethod
    def _approve_before_quote(cls, sales):
        "Request the approvals needed and return the sales that may go on"
        pool = Pool()
        Group = pool.get('res.group')
        ModelData = pool.get('ir.model.data')
        supervisors = Group(ModelData.get_id(
                'sales_ops_policy', 'group_supervisor'))
        ready, steps = [], []
        for sale in sales:
            if sale.approval_state == 'approved':
                ready.append(sale)
                continue
            if sale.approval_state == 'waiting':
                continue
            reasons = sale.approval_reasons()
            if not reasons:
                ready.append(sale)
                continue
            reviewer = sale.employee.supervisor if sale.employee else None
            steps.extend(
                (sale, 10, reason, supervisors, reviewer)
                for reason in reasons)
        if steps:
            cls.request_approvals(steps)
        return ready

    def get_discount_limit(self):
        "The largest discount the salesperson may give on the order"
        pool = Pool()
        Configuration = pool.get('sale.configuration')
        if self.employee:
            return self.employee.get_discount_limit()
        return Configuration(1).discount_limit or Decimal(0)

    def approval_reasons(self):
        "Why the quotation needs the supervisor's approval"
        pool = Pool()
        Configuration = pool.get('sale.configuration')
        Lang = pool.get('ir.lang')
        lang = Lang.get()
        config = Configuration(1)
        limit = self.get_discount_limit()
        revenue = cost = Decimal(0)
        max_discount = Decimal(0)
        # prices and costs are per company
        with Transaction().set_context(company=self.company.id):
            lines = self.__class__(self.id).lines
        for line in lines:
            if line.type != 'line' or not line.product or not line.quantity:
                continue
            quantity = Decimal(str(line.quantity))
            list_price = line.product.list_price_used or Decimal(0)
            if list_price and line.unit_price is not None:
                max_discount = max(
                    max_discount, 1 - line.unit_price / list_price)
            revenue += (line.unit_price or 0) * quantity
            cost += (line.product.cost_price or 0) * quantity
        reasons = []
        percent = lambda r: lang.format('%.1f', r * 100)  # noqa: E731
        if max_discount > limit:
            reasons.append(gettext(
                    'sales_ops_policy.msg_approval_reason_discount',
                    discount=percent(max_discount), limit=percent(limit)))
        floor = config.margin_floor
        if floor is not None and revenue:
            margin = (revenue - cost) / revenue
            if margin < floor:
                reasons.append(gettext(
                        'sales_ops_policy.msg_approval_reason_margin',
                        margin=percent(margin), floor=percent(floor)))
        return reasons

    @classmethod
    def approval_decided(cls, sales):
        super().approval_decided(sales)
        approved = [s for s in cls.browse(sales)
            if s.state == 'draft' and s.approval_state == 'approved']
        if approved:
            cls.quote(approved)
