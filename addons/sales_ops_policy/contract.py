# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Contract review and authorised signing (P3.3), and the orders placed
against a signed contract"""
import hashlib
from decimal import Decimal

from sql.aggregate import Sum
from sql.conditionals import Coalesce

from trytond import backend
from trytond.i18n import gettext
from trytond.model import (
    ModelSQL, ModelView, Workflow, fields, sequence_ordered)
from trytond.model.fields import SQL_OPERATORS
from trytond.modules.company.model import employee_field, set_employee
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval, Id, If
from trytond.report import Report
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import StateAction, Wizard

from .approval import ApprovalMixin, _now
from .exceptions import (
    ContractError, ContractValidationError, DelegationError, SigningError)
from .model import ValidityMixin, check_not_negative, search_any

# what the customer agreed to: frozen once signed (P3.3.2)
_TERMS = {
    'party', 'currency', 'amount', 'payment_term', 'delivery_terms',
    'after_sales_terms', 'clauses', 'document', 'document_name',
    'start_date', 'end_date', 'company',
    }
_SIGNED = {'signed', 'active', 'closed'}


class Configuration(metaclass=PoolMeta):
    __name__ = 'sale.configuration'
    contract_sequence = fields.Many2One(
        'ir.sequence', "Contract Sequence", required=True,
        domain=[
            ('sequence_type', '=',
                Id('sales_ops_policy', 'sequence_type_contract')),
            ])
    contract_threshold = fields.Numeric(
        "Contract Threshold", digits=(16, 2),
        help="Orders of at least this total (in company currency) are "
        "confirmed only against an active signed contract; leave empty to "
        "never require one.")

    @classmethod
    def default_contract_sequence(cls):
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        try:
            return ModelData.get_id('sales_ops_policy', 'sequence_contract')
        except KeyError:
            return None

    @classmethod
    def validate_fields(cls, configurations, field_names):
        super().validate_fields(configurations, field_names)
        if not field_names or 'contract_threshold' in field_names:
            check_not_negative(configurations, 'contract_threshold')


class Delegation(Workflow, ValidityMixin, ModelSQL, ModelView):
    "Signing Delegation"
    __name__ = 'sale.contract.delegation'
    __string__ = "Signing Delegation"
    _states = {'readonly': Eval('state') != 'draft'}

    company = fields.Many2One(
        'company.company', "Company", required=True, states=_states)
    employee = fields.Many2One(
        'company.employee', "Authorised Signatory", required=True,
        states=_states,
        domain=[('company', '=', Eval('company', -1))],
        help="The employee who may sign contracts for the company.")
    amount_limit = fields.Numeric(
        "Amount Limit", required=True, states=_states,
        digits=(16, Eval('currency_digits', 2)),
        help="The largest contract amount the signatory may sign.")
    currency = fields.Function(fields.Many2One(
            'currency.currency', "Currency"), 'on_change_with_currency')
    currency_digits = fields.Function(
        fields.Integer("Currency Digits"), 'on_change_with_currency_digits')
    granted_by = employee_field(
        "Granted By", states=['granted', 'revoked'])
    granted_at = fields.Timestamp("Granted At", readonly=True)
    revoked_by = employee_field("Revoked By", states=['revoked'])
    revoked_at = fields.Timestamp("Revoked At", readonly=True)
    state = fields.Selection([
            ('draft', "Draft"),
            ('granted', "Granted"),
            ('revoked', "Revoked"),
            ], "State", readonly=True, required=True, sort=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # the dates get a clear message of their own
        cls.start_date.domain = []
        cls.end_date.domain = []
        cls.end_date.required = True
        cls.end_date.help = "The last day the signatory may sign."
        for field in (cls.start_date, cls.end_date):
            field.states = cls._states
        cls._order.insert(0, ('start_date', 'DESC'))
        cls._transitions |= {
            ('draft', 'granted'),
            ('granted', 'revoked'),
            }
        cls._buttons.update({
                'grant': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'revoke': {
                    'invisible': Eval('state') != 'granted',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_state(cls):
        return 'draft'

    @fields.depends('company')
    def on_change_with_currency(self, name=None):
        return self.company.currency if self.company else None

    @fields.depends('company')
    def on_change_with_currency_digits(self, name=None):
        return self.company.currency.digits if self.company else 2

    def get_rec_name(self, name):
        return f'{self.employee.rec_name} ≤ {self.amount_limit} ' \
            f'({self.start_date} – {self.end_date})'

    @classmethod
    def validate_fields(cls, delegations, field_names):
        super().validate_fields(delegations, field_names)
        cls.check_delegation(delegations, field_names)

    @classmethod
    def check_delegation(cls, delegations, field_names=None):
        if field_names and not (
                field_names & {'start_date', 'end_date', 'amount_limit'}):
            return
        for delegation in delegations:
            if (delegation.start_date and delegation.end_date
                    and delegation.end_date < delegation.start_date):
                raise DelegationError(gettext(
                        'sales_ops_policy.msg_delegation_dates',
                        employee=delegation.employee.rec_name,
                        start=delegation.start_date,
                        end=delegation.end_date))
            if delegation.amount_limit is not None \
                    and delegation.amount_limit <= 0:
                raise DelegationError(gettext(
                        'sales_ops_policy.msg_delegation_amount',
                        employee=delegation.employee.rec_name))

    @classmethod
    @ModelView.button
    @Workflow.transition('granted')
    @set_employee('granted_by')
    def grant(cls, delegations):
        cls.write(delegations, {'granted_at': _now()})

    @classmethod
    @ModelView.button
    @Workflow.transition('revoked')
    @set_employee('revoked_by')
    def revoke(cls, delegations):
        cls.write(delegations, {'revoked_at': _now()})

    @classmethod
    def check_modification(
            cls, mode, delegations, values=None, external=False):
        super().check_modification(
            mode, delegations, values=values, external=external)
        if mode == 'delete':
            for delegation in delegations:
                if delegation.state != 'draft':
                    raise DelegationError(gettext(
                            'sales_ops_policy.msg_delegation_delete',
                            delegation=delegation.rec_name))


class Contract(ApprovalMixin, Workflow, ModelSQL, ModelView):
    "Contract"
    __name__ = 'sale.contract'
    __string__ = "Contract"
    _rec_name = 'number'
    _states = {'readonly': Eval('state') != 'draft'}

    company = fields.Many2One(
        'company.company', "Company", required=True, states=_states)
    number = fields.Char("Number", readonly=True)
    reference = fields.Char(
        "Customer Reference", states={
            'readonly': Eval('state').in_(['closed', 'cancelled']),
            })
    version = fields.Integer("Version", readonly=True, required=True)
    previous_version = fields.Many2One(
        'sale.contract', "Previous Version", readonly=True,
        help="The signed contract this version changes.")
    next_versions = fields.One2Many(
        'sale.contract', 'previous_version', "Next Versions", readonly=True)
    party = fields.Many2One(
        'party.party', "Customer", required=True, states=_states,
        context={'company': Eval('company', -1)}, depends={'company'})
    employee = fields.Many2One(
        'company.employee', "Salesperson", required=True, states=_states,
        domain=[('company', '=', Eval('company', -1))],
        help="Who drafts the contract; they never decide its review.")
    opportunity = fields.Many2One(
        'sale.opportunity', "Opportunity", states=_states,
        domain=[
            ('company', '=', Eval('company', -1)),
            If(Eval('party'), ('party', '=', Eval('party', -1)), ()),
            ])
    description = fields.Char("Description", states=_states)
    amount = fields.Numeric(
        "Amount", required=True, states=_states,
        digits=(16, Eval('currency_digits', 2)),
        help="The total the customer agrees to pay, taxes included.")
    currency = fields.Many2One(
        'currency.currency', "Currency", required=True, states=_states)
    currency_digits = fields.Function(
        fields.Integer("Currency Digits"), 'on_change_with_currency_digits')
    payment_term = fields.Many2One(
        'account.invoice.payment_term', "Payment Term", states=_states,
        ondelete='RESTRICT')
    start_date = fields.Date(
        "Start Date", states=_states,
        domain=[
            If(Eval('start_date') & Eval('end_date'),
                ('start_date', '<=', Eval('end_date')), ()),
            ])
    end_date = fields.Date(
        "End Date", states=_states,
        domain=[
            If(Eval('start_date') & Eval('end_date'),
                ('end_date', '>=', Eval('start_date')), ()),
            ])
    delivery_terms = fields.Text("Delivery Terms", states=_states)
    after_sales_terms = fields.Text(
        "After-Sales Service Terms", states=_states)
    clauses = fields.One2Many(
        'sale.contract.clause', 'contract', "Clauses", states=_states)
    document = fields.Binary(
        "Contract Document", filename='document_name', states=_states,
        help="The draft the customer and legal read.")
    document_name = fields.Char("Document Name", states=_states)

    check_legality = fields.Boolean(
        "Legality Checked", states={
            'readonly': Eval('state') != 'review',
            },
        help="The contract complies with the law and the company's rules.")
    check_completeness = fields.Boolean(
        "Completeness Checked", states={
            'readonly': Eval('state') != 'review',
            },
        help="Every clause the company needs is there.")
    check_accuracy = fields.Boolean(
        "Accuracy Checked", states={
            'readonly': Eval('state') != 'review',
            },
        help="Parties, amounts, dates and terms are right.")

    signing_date = fields.Date(
        "Signing Date", states={
            'readonly': Eval('state') != 'approved',
            },
        help="Leave empty to sign today.")
    signed_document = fields.Binary(
        "Signed Original", filename='signed_document_name',
        states={
            'readonly': Eval('state') != 'approved',
            },
        help="The scan of the contract signed by both sides.")
    signed_document_name = fields.Char(
        "Signed Original Name", states={
            'readonly': Eval('state') != 'approved',
            })
    signed_digest = fields.Char(
        "SHA-256 Digest", readonly=True,
        help="The digest of the signed original when it was signed.")
    digest_verified = fields.Function(fields.Boolean(
            "Original Verified",
            help="The attached original still has the digest recorded "
            "when it was signed."), 'get_digest_verified')
    signed_by = employee_field("Signed By", states=list(_SIGNED))
    signed_at = fields.Timestamp("Signed At", readonly=True)
    delegation = fields.Many2One(
        'sale.contract.delegation', "Delegation", readonly=True,
        help="The delegation the signatory signed under; none for the "
        "sales manager.")
    customer_signed = fields.Boolean(
        "Customer Signature Received", states={
            'readonly': ~Eval('state').in_(['approved', 'signed']),
            })
    customer_signed_date = fields.Date(
        "Customer Signing Date", states={
            'readonly': ~Eval('state').in_(['approved', 'signed']),
            'required': Bool(Eval('customer_signed')),
            })
    submitted_by = employee_field(
        "Submitted By", states=['submitted', 'review', 'approved'] + list(
            _SIGNED))
    submitted_at = fields.Timestamp("Submitted At", readonly=True)
    activated_by = employee_field("Activated By", states=['active', 'closed'])
    activated_at = fields.Timestamp("Activated At", readonly=True)
    closed_by = employee_field("Closed By", states=['closed'])
    closed_at = fields.Timestamp("Closed At", readonly=True)
    cancelled_by = employee_field("Cancelled By", states=['cancelled'])
    cancelled_at = fields.Timestamp("Cancelled At", readonly=True)

    sales = fields.One2Many(
        'sale.sale', 'contract', "Orders", readonly=True)
    amount_ordered = fields.Function(fields.Numeric(
            "Amount Ordered", digits=(16, Eval('currency_digits', 2)),
            help="The total of the confirmed orders against the contract."),
        'get_amount_ordered')
    amount_remaining = fields.Function(fields.Numeric(
            "Amount Remaining", digits=(16, Eval('currency_digits', 2))),
        'get_amount_ordered')

    state = fields.Selection([
            ('draft', "Draft"),
            ('submitted', "Submitted"),
            ('review', "Under Legal Review"),
            ('approved', "Approved"),
            ('signed', "Signed"),
            ('active', "Active"),
            ('closed', "Closed"),
            ('cancelled', "Cancelled"),
            ], "State", readonly=True, required=True, sort=False)
    state_string = state.translated('state')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('number', 'DESC NULLS FIRST'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'submitted'),
            ('submitted', 'review'),
            ('submitted', 'approved'),
            ('review', 'approved'),
            ('submitted', 'draft'),
            ('review', 'draft'),
            ('approved', 'draft'),
            ('approved', 'signed'),
            ('signed', 'active'),
            ('signed', 'closed'),
            ('active', 'closed'),
            ('draft', 'cancelled'),
            ('submitted', 'cancelled'),
            ('review', 'cancelled'),
            ('approved', 'cancelled'),
            ('cancelled', 'draft'),
            }
        cls._buttons.update({
                'submit': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'draft': {
                    'invisible': ~Eval('state').in_(
                        ['submitted', 'review', 'approved', 'cancelled']),
                    'icon': If(Eval('state') == 'cancelled',
                        'tryton-undo', 'tryton-back'),
                    'depends': ['state'],
                    },
                'sign': {
                    'invisible': Eval('state') != 'approved',
                    'depends': ['state'],
                    },
                'activate': {
                    'invisible': Eval('state') != 'signed',
                    'depends': ['state'],
                    },
                'close': {
                    'invisible': ~Eval('state').in_(['signed', 'active']),
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': ~Eval('state').in_(
                        ['draft', 'submitted', 'review', 'approved']),
                    'depends': ['state'],
                    },
                'new_version': {
                    'invisible': ~Eval('state').in_(['signed', 'active']),
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
    def default_currency(cls):
        pool = Pool()
        Company = pool.get('company.company')
        company = Transaction().context.get('company')
        if company is not None and company >= 0:
            return Company(company).currency.id

    @classmethod
    def default_version(cls):
        return 1

    @classmethod
    def default_state(cls):
        return 'draft'

    @fields.depends('currency')
    def on_change_with_currency_digits(self, name=None):
        return self.currency.digits if self.currency else 2

    @fields.depends('party', 'payment_term')
    def on_change_party(self):
        if self.party and not self.payment_term:
            self.payment_term = self.party.customer_payment_term

    def get_rec_name(self, name):
        number = self.number or f'({self.id})'
        name = f'{number} v{self.version}'
        if self.party:
            name += f' - {self.party.rec_name}'
        return name

    @classmethod
    def search_rec_name(cls, name, clause):
        return search_any(clause, 'number', 'reference', 'party')

    def approval_amount(self):
        pool = Pool()
        Currency = pool.get('currency.currency')
        with Transaction().set_context(date=self.signing_date):
            return Currency.compute(
                self.currency, self.amount, self.company.currency,
                round=False)

    @classmethod
    def get_amount_ordered(cls, contracts, names):
        "The confirmed orders' totals, one query for all contracts"
        pool = Pool()
        Sale = pool.get('sale.sale')
        sale = Sale.__table__()
        cursor = Transaction().connection.cursor()
        ordered = dict.fromkeys(map(int, contracts), Decimal(0))
        for sub in grouped_slice(
                [c.id for c in contracts], backend.MAX_QUERY_PARAMS):
            cursor.execute(*sale.select(
                    sale.contract,
                    Sum(Coalesce(sale.total_amount_cache, 0)),
                    where=SQL_OPERATORS['in'](sale.contract, list(sub))
                    & SQL_OPERATORS['in'](
                        sale.state, ['confirmed', 'processing', 'done']),
                    group_by=[sale.contract]))
            for contract_id, amount in cursor:
                ordered[contract_id] = Decimal(str(amount))
        result = {}
        if 'amount_ordered' in names:
            result['amount_ordered'] = {
                c.id: c.currency.round(ordered[c.id]) for c in contracts}
        if 'amount_remaining' in names:
            result['amount_remaining'] = {
                c.id: c.currency.round(c.amount - ordered[c.id])
                for c in contracts}
        return result

    @classmethod
    def get_digest_verified(cls, contracts, name):
        result = {}
        for contract in contracts:
            if not contract.signed_digest:
                result[contract.id] = None
            else:
                result[contract.id] = (
                    digest(contract.signed_document)
                    == contract.signed_digest)
        return result

    @classmethod
    def validate_fields(cls, contracts, field_names):
        super().validate_fields(contracts, field_names)
        cls.check_amount(contracts, field_names)

    @classmethod
    def check_amount(cls, contracts, field_names=None):
        if field_names and 'amount' not in field_names:
            return
        for contract in contracts:
            if contract.amount is not None and contract.amount <= 0:
                raise ContractValidationError(gettext(
                        'sales_ops_policy.msg_contract_amount',
                        contract=contract.rec_name,
                        amount=Pool().get('ir.lang').get().currency(
                            contract.amount, contract.currency)))

    @classmethod
    def check_modification(cls, mode, contracts, values=None, external=False):
        super().check_modification(
            mode, contracts, values=values, external=external)
        if mode == 'write' and values and (_TERMS & set(values)):
            for contract in contracts:
                if contract.state in _SIGNED:
                    raise ContractError(gettext(
                            'sales_ops_policy.msg_contract_signed_edit',
                            contract=contract.rec_name))
        elif mode == 'delete':
            for contract in contracts:
                if contract.state not in {'draft', 'cancelled'}:
                    raise ContractError(gettext(
                            'sales_ops_policy.msg_contract_delete',
                            contract=contract.rec_name))

    @classmethod
    def copy(cls, contracts, default=None):
        default = default.copy() if default is not None else {}
        for name in [
                'number', 'approvals', 'sales', 'next_versions',
                'check_legality', 'check_completeness', 'check_accuracy',
                'signing_date', 'signed_document', 'signed_document_name',
                'signed_digest', 'signed_by', 'signed_at', 'delegation',
                'customer_signed', 'customer_signed_date', 'submitted_by',
                'submitted_at', 'activated_by', 'activated_at', 'closed_by',
                'closed_at', 'cancelled_by', 'cancelled_at']:
            default.setdefault(name, None)
        default.setdefault('version', 1)
        default.setdefault('previous_version', None)
        return super().copy(contracts, default=default)

    @classmethod
    def set_number(cls, contracts):
        pool = Pool()
        Configuration = pool.get('sale.configuration')
        config = Configuration(1)
        to_write = []
        for contract in contracts:
            if contract.number:
                continue
            if contract.previous_version:
                number = contract.previous_version.number
            else:
                with Transaction().set_context(
                        company=contract.company.id):
                    number = config.contract_sequence.get()
            to_write.extend([[contract], {'number': number}])
        if to_write:
            cls.write(*to_write)

    @classmethod
    @ModelView.button
    def submit(cls, contracts):
        "Submit to the review steps configured (P3.3.1)"
        contracts = [c for c in contracts if c.state == 'draft']
        cls.set_number(contracts)
        cls.submitted(contracts)
        contracts = cls.browse(contracts)
        # without any step that applies the contract is approved at once
        free = cls.request_configured_approvals(contracts)
        cls.approve(free)
        cls.update_review(contracts)

    @classmethod
    @Workflow.transition('submitted')
    @set_employee('submitted_by')
    def submitted(cls, contracts):
        cls.write(contracts, {'submitted_at': _now()})

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, contracts):
        cls.cancel_approvals(contracts)
        cls.write(contracts, {
                'check_legality': False,
                'check_completeness': False,
                'check_accuracy': False,
                })

    @classmethod
    @Workflow.transition('review')
    def review(cls, contracts):
        pass

    @classmethod
    @Workflow.transition('approved')
    def approve(cls, contracts):
        pass

    @classmethod
    def legal_group(cls):
        return Pool().get('ir.model.data').get_id(
            'sales_ops_policy', 'group_legal')

    @classmethod
    def update_review(cls, contracts):
        """Move the contracts to the review the approval steps reached: a
        rejection sends back to draft, the legal step is the legal review"""
        pool = Pool()
        Request = pool.get('approval.request')
        contracts = cls.browse(contracts)
        firsts = Request._waiting_first_steps(
            [r for c in contracts for r in c.approvals])
        legal = cls.legal_group()
        to_draft, to_review, to_approve = [], [], []
        for contract in contracts:
            if contract.state not in {'submitted', 'review'}:
                continue
            if contract.approval_state == 'rejected':
                to_draft.append(contract)
            elif contract.approval_state == 'approved':
                to_approve.append(contract)
            elif any(r.id in firsts and r.reviewer_group
                    and r.reviewer_group.id == legal
                    for r in contract.approvals):
                to_review.append(contract)
        # the reviewer moves the contract on, not by the author's buttons
        with without_check_access():
            cls.draft(to_draft)
        cls.review(to_review)
        cls.approve(to_approve)

    @classmethod
    def approval_decided(cls, contracts):
        super().approval_decided(contracts)
        cls.update_review(contracts)

    @classmethod
    def check_approval(cls, requests):
        super().check_approval(requests)
        legal = cls.legal_group()
        for request in requests:
            contract = request.document
            if (request.reviewer_group and request.reviewer_group.id == legal
                    and not (contract.check_legality
                        and contract.check_completeness
                        and contract.check_accuracy)):
                raise ContractError(gettext(
                        'sales_ops_policy.msg_contract_legal_checklist',
                        contract=contract.rec_name))

    @classmethod
    def signing_delegations(cls, contracts):
        """The delegation each contract is signed under by the user: None
        for a sales manager; raise SigningError when the user may not"""
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        Delegation = pool.get('sale.contract.delegation')
        Date = pool.get('ir.date')
        Lang = pool.get('ir.lang')
        lang = Lang.get()
        if ModelData.get_id('sales_ops_policy', 'group_manager') in (
                User.get_groups()):
            return dict.fromkeys(contracts)
        employees = User.get_employees()
        delegations = Delegation.search([
                ('employee', 'in', list(employees)),
                ('state', '=', 'granted'),
                ], order=[('amount_limit', 'ASC')])
        result = {}
        for contract in contracts:
            date = contract.signing_date or Date.today()
            amount = contract.approval_amount()
            mine = [d for d in delegations
                if d.company == contract.company]
            valid = [d for d in mine if d.start_date <= date <= d.end_date]
            covering = [d for d in valid if d.amount_limit >= amount]
            if covering:
                result[contract] = covering[0]
                continue
            if not mine:
                message = 'msg_contract_sign_no_delegation'
            elif not valid:
                message = 'msg_contract_sign_delegation_expired'
            else:
                message = 'msg_contract_sign_delegation_amount'
            currency = contract.company.currency
            raise SigningError(gettext(
                    f'sales_ops_policy.{message}',
                    contract=contract.rec_name, date=lang.strftime(date),
                    amount=lang.currency(amount, currency),
                    limit=lang.currency(
                        max(d.amount_limit for d in valid), currency)
                    if valid else None))
        return result

    @classmethod
    @ModelView.button
    def sign(cls, contracts):
        "Sign for the company (P3.3.2), keeping the original's digest"
        pool = Pool()
        Date = pool.get('ir.date')
        # of two signatories signing at once, the second finds it signed
        cls.lock(contracts)
        contracts = cls.browse(contracts)
        today = Date.today()
        for contract in contracts:
            if contract.state != 'approved':
                raise SigningError(gettext(
                        'sales_ops_policy.msg_contract_sign_state',
                        contract=contract.rec_name,
                        state=contract.state_string))
            if not contract.signed_document:
                raise SigningError(gettext(
                        'sales_ops_policy.msg_contract_sign_original',
                        contract=contract.rec_name))
            if contract.signing_date and contract.signing_date > today:
                raise SigningError(gettext(
                        'sales_ops_policy.msg_contract_sign_future',
                        contract=contract.rec_name,
                        date=Pool().get('ir.lang').get().strftime(
                            contract.signing_date)))
        delegations = cls.signing_delegations(contracts)
        cls.signed(contracts)
        now = _now()
        to_write = []
        for contract in contracts:
            delegation = delegations[contract]
            to_write.extend([[contract], {
                        'signing_date': contract.signing_date or today,
                        'signed_at': now,
                        'delegation': delegation.id if delegation else None,
                        'signed_digest': digest(contract.signed_document),
                        }])
        if to_write:
            cls.write(*to_write)
        # the version signed replaces the one it changes
        previous = [c.previous_version for c in contracts
            if c.previous_version and c.previous_version.state in _SIGNED
            and c.previous_version.state != 'closed']
        if previous:
            with without_check_access():
                cls.close(previous)

    @classmethod
    @Workflow.transition('signed')
    @set_employee('signed_by')
    def signed(cls, contracts):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('active')
    @set_employee('activated_by')
    def activate(cls, contracts):
        for contract in contracts:
            if not contract.customer_signed:
                raise ContractError(gettext(
                        'sales_ops_policy.msg_contract_customer_signature',
                        contract=contract.rec_name))
        cls.write(contracts, {'activated_at': _now()})

    @classmethod
    @ModelView.button
    @Workflow.transition('closed')
    @set_employee('closed_by')
    def close(cls, contracts):
        cls.write(contracts, {'closed_at': _now()})

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    @set_employee('cancelled_by')
    def cancel(cls, contracts):
        cls.cancel_approvals(contracts)
        cls.write(contracts, {'cancelled_at': _now()})

    @classmethod
    @ModelView.button
    def new_version(cls, contracts):
        "A change of a signed contract is a new version reviewed again"
        for contract in contracts:
            if any(v.state not in {'cancelled'}
                    for v in contract.next_versions):
                raise ContractError(gettext(
                        'sales_ops_policy.msg_contract_version_open',
                        contract=contract.rec_name))
        return [cls.copy([c], default={
                    'number': c.number,
                    'version': c.version + 1,
                    'previous_version': c.id,
                    })[0] for c in contracts]


def digest(data):
    "The SHA-256 digest of the file data, in hexadecimal"
    if data is None:
        return None
    return hashlib.sha256(bytes(data)).hexdigest()


class Clause(sequence_ordered(), ModelSQL, ModelView):
    "Contract Clause"
    __name__ = 'sale.contract.clause'
    __string__ = "Contract Clause"
    contract = fields.Many2One(
        'sale.contract', "Contract", required=True, ondelete='CASCADE')
    title = fields.Char("Title", required=True)
    text = fields.Text("Text", required=True)

    @classmethod
    def check_modification(cls, mode, clauses, values=None, external=False):
        super().check_modification(
            mode, clauses, values=values, external=external)
        for clause in clauses:
            if clause.contract.state in _SIGNED:
                raise ContractError(gettext(
                        'sales_ops_policy.msg_contract_signed_edit',
                        contract=clause.contract.rec_name))


class Sale(metaclass=PoolMeta):
    __name__ = 'sale.sale'
    contract = fields.Many2One(
        'sale.contract', "Contract", ondelete='RESTRICT',
        domain=[
            ('company', '=', Eval('company', -1)),
            If(Eval('party'), ('party', '=', Eval('party', -1)), ()),
            ('state', '!=', 'cancelled'),
            ],
        states={
            'readonly': ~Eval('state').in_(['draft', 'quotation']),
            },
        help="The signed contract the order is placed against (P3.3).")

    @classmethod
    def copy(cls, sales, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('contract', None)
        return super().copy(sales, default=default)

    @classmethod
    def confirm(cls, sales):
        cls.check_contract(sales)
        super().confirm(sales)

    @classmethod
    def check_contract(cls, sales):
        """Refuse to confirm an order at or above the threshold without an
        active contract of the customer that covers it"""
        pool = Pool()
        Configuration = pool.get('sale.configuration')
        Lang = pool.get('ir.lang')
        lang = Lang.get()
        config = Configuration(1)
        threshold = config.contract_threshold
        if threshold is None:
            return
        # orders confirmed together draw on the same contract
        drawn = {}
        for sale in sales:
            if sale.approval_amount() < threshold:
                continue
            contract = sale.contract
            if not contract or contract.state != 'active':
                raise ContractError(gettext(
                        'sales_ops_policy.msg_sale_contract_required',
                        sale=sale.rec_name,
                        threshold=lang.currency(
                            threshold, sale.company.currency)))
            if contract.party != sale.party or (
                    contract.currency != sale.currency):
                raise ContractError(gettext(
                        'sales_ops_policy.msg_sale_contract_party',
                        sale=sale.rec_name, contract=contract.rec_name))
            remaining = drawn.get(contract, contract.amount_remaining)
            if sale.total_amount > remaining:
                raise ContractError(gettext(
                        'sales_ops_policy.msg_sale_contract_amount',
                        sale=sale.rec_name, contract=contract.rec_name,
                        amount=lang.currency(sale.total_amount, sale.currency),
                        remaining=lang.currency(remaining, sale.currency)))
            drawn[contract] = remaining - sale.total_amount


class CreateContract(Wizard):
    "Draft Contract"
    __name__ = 'sale.contract.create'
    start_state = 'open_'
    open_ = StateAction('sales_ops_policy.act_contract_form')

    def do_open_(self, action):
        pool = Pool()
        Contract = pool.get('sale.contract')
        Sale = pool.get('sale.sale')
        contracts = []
        to_link = []
        for record in self.records:
            contract = Contract(**self._contract_values(record))
            contracts.append(contract)
            if isinstance(record, Sale):
                to_link.append((record, contract))
        Contract.save(contracts)
        if to_link:
            Sale.write(*[x for sale, contract in to_link
                    for x in ([sale], {'contract': contract.id})])
        return action, {'res_id': [c.id for c in contracts]}

    def _contract_values(self, record):
        "The contract's draft from the quotation or opportunity record"
        pool = Pool()
        Sale = pool.get('sale.sale')
        values = {
            'company': record.company.id,
            'party': record.party.id,
            'employee': record.employee.id if record.employee else None,
            'currency': record.currency.id,
            'payment_term': (
                record.payment_term.id if record.payment_term else None),
            'description': record.description,
            }
        if isinstance(record, Sale):
            if record.state not in {'draft', 'quotation'}:
                raise ContractError(gettext(
                        'sales_ops_policy.msg_contract_from_sale',
                        sale=record.rec_name))
            values.update({
                    'opportunity': (
                        record.origin.id if record.origin
                        and record.origin.__name__ == 'sale.opportunity'
                        else None),
                    'amount': record.total_amount,
                    'delivery_terms': record.negotiated_terms,
                    })
        else:
            values.update({
                    'opportunity': record.id,
                    'amount': record.amount,
                    'delivery_terms': record.negotiated_terms_text(),
                    'after_sales_terms': record.after_sales_terms,
                    })
        return values


class ReviewSheet(Report):
    "Contract Review Sheet"
    __name__ = 'sale.contract.review_sheet'

    @classmethod
    def get_context(cls, records, header, data):
        pool = Pool()
        Request = pool.get('approval.request')
        context = super().get_context(records, header, data)
        decisions = {str(c): [] for c in records}
        for request in Request.search([
                    ('document', 'in', list(decisions)),
                    ], order=[('create_date', 'ASC'), ('sequence', 'ASC')]):
            decisions[str(request.document)].append(request)
        context['decisions'] = {c: decisions[str(c)] for c in records}
        return context
