# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Payment collection (P3.5): plans with stages from the payment terms, the
amounts collected read from the ledger, overdue follow-up, dunning and the
collection rate of salespeople and teams"""
import datetime as dt
import logging
from collections import defaultdict
from decimal import Decimal

from sql import Literal, Null, Union, Window, With
from sql.aggregate import Max, Min, Sum
from sql.conditionals import Case, Coalesce
from sql.functions import Abs, Function

from trytond import backend
from trytond.i18n import gettext
from trytond.model import (
    Index, ModelSQL, ModelView, Workflow, fields, sequence_ordered)
from trytond.model.fields import SQL_OPERATORS
from trytond.modules.company.model import employee_field, set_employee
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, If
from trytond.report import Report
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access

from .approval import _now
from .exceptions import (
    CollectionError, CollectionValidationError, DisputeError,
    SuspensionError)
from .model import (
    check_not_negative, notify_employees, query_flags, search_any,
    search_query_flag)
from .sale import _date

logger = logging.getLogger(__name__)

STAGE_KINDS = [
    (None, ""),
    ('advance', "Advance"),
    ('delivery', "On Delivery"),
    ('acceptance', "On Acceptance"),
    ('retention', "Retention"),
    ('other', "Other"),
    ]
# SQLite sums numerics as floats
_TOLERANCE = Literal(0.00001)
# what the plan agreed with the customer: changed only by an adjustment
_STAGE_TERMS = {'plan', 'kind', 'due_date', 'amount', 'sequence'}


def collection_date():
    "The day collection is judged on: the context date or today"
    return (Transaction().context.get('date')
        or Pool().get('ir.date').today())


class PaymentTermLine(metaclass=PoolMeta):
    __name__ = 'account.invoice.payment_term.line'
    collection_stage = fields.Selection(
        STAGE_KINDS, "Collection Stage",
        help="The stage of the collection plan this term becomes (P3.5.1).")


class Plan(Workflow, ModelSQL, ModelView):
    "Collection Plan"
    __name__ = 'sale.collection.plan'
    __string__ = "Collection Plan"
    _states = {'readonly': Eval('state') != 'draft'}

    company = fields.Many2One(
        'company.company', "Company", required=True, readonly=True)
    contract = fields.Many2One(
        'sale.contract', "Contract", readonly=True, ondelete='RESTRICT',
        help="The signed contract whose payments the plan follows.")
    sale = fields.Many2One(
        'sale.sale', "Order", readonly=True, ondelete='RESTRICT',
        help="The order without contract whose payments the plan follows.")
    sales = fields.One2Many(
        'sale.sale', 'collection_plan', "Orders", readonly=True)
    party = fields.Many2One(
        'party.party', "Customer", required=True, readonly=True,
        context={'company': Eval('company', -1)}, depends={'company'})
    employee = fields.Many2One(
        'company.employee', "Owner", required=True, states=_states,
        domain=[('company', '=', Eval('company', -1))],
        help="The salesperson who owns the plan; by default responsible "
        "for its stages.")
    currency = fields.Many2One(
        'currency.currency', "Currency", required=True, readonly=True)
    amount = fields.Numeric(
        "Amount", digits=(16, Eval('currency_digits', 2)), readonly=True,
        required=True, help="The contract or order total, taxes included.")
    currency_digits = fields.Function(
        fields.Integer("Currency Digits"), 'on_change_with_currency_digits')
    date = fields.Date(
        "Date", required=True, readonly=True,
        help="The signing date of the contract or the date of the order; "
        "no stage is due before it.")
    payment_term = fields.Many2One(
        'account.invoice.payment_term', "Payment Term", readonly=True)
    stages = fields.One2Many(
        'sale.collection.stage', 'plan', "Stages", states=_states)
    logs = fields.One2Many(
        'sale.collection.plan.log', 'plan', "Changes", readonly=True)
    reason = fields.Text(
        "Reason for Change", states={
            'readonly': Eval('state') == 'cancelled',
            },
        help="Why the plan is adjusted; required to adjust it.")
    collected_amount = fields.Function(fields.Numeric(
            "Collected", digits=(16, Eval('currency_digits', 2))),
        'get_amounts')
    open_amount = fields.Function(fields.Numeric(
            "To Collect", digits=(16, Eval('currency_digits', 2))),
        'get_amounts')
    overdue_amount = fields.Function(fields.Numeric(
            "Overdue", digits=(16, Eval('currency_digits', 2))),
        'get_amounts')
    disputes = fields.Function(fields.Many2Many(
            'account.invoice.dispute', None, None, "Open Disputes",
            help="The invoices of the plan the customer disputes."),
        'get_disputes')
    confirmed_by = employee_field("Confirmed By", states=['confirmed'])
    confirmed_at = fields.Timestamp("Confirmed At", readonly=True)
    cancelled_by = employee_field("Cancelled By", states=['cancelled'])
    cancelled_at = fields.Timestamp("Cancelled At", readonly=True)
    state = fields.Selection([
            ('draft', "Being Adjusted"),
            ('confirmed', "Confirmed"),
            ('cancelled', "Cancelled"),
            ], "State", readonly=True, required=True, sort=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.contract, Index.Range())),
                Index(t, (t.sale, Index.Range())),
                })
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('confirmed', 'draft'),
            ('draft', 'confirmed'),
            ('draft', 'cancelled'),
            ('confirmed', 'cancelled'),
            }
        cls._buttons.update({
                'adjust': {
                    'invisible': Eval('state') != 'confirmed',
                    'depends': ['state'],
                    },
                'confirm': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': Eval('state') == 'cancelled',
                    'depends': ['state'],
                    },
                'refresh': {
                    'invisible': Eval('state') == 'cancelled',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'confirmed'

    @fields.depends('currency')
    def on_change_with_currency_digits(self, name=None):
        return self.currency.digits if self.currency else 2

    def get_rec_name(self, name):
        origin = self.contract or self.sale
        origin = origin.rec_name if origin else f'({self.id})'
        return f'{origin} - {self.party.rec_name}' if self.party else origin

    @classmethod
    def search_rec_name(cls, name, clause):
        return search_any(
            clause, 'contract.rec_name', 'sale.rec_name', 'party.rec_name')

    @classmethod
    def get_amounts(cls, plans, names):
        pool = Pool()
        Stage = pool.get('sale.collection.stage')
        stage = Stage.__table__()
        cursor = Transaction().connection.cursor()
        today = collection_date()
        totals = {p.id: [Decimal(0)] * 3 for p in plans}
        for sub in grouped_slice(list(totals), backend.MAX_QUERY_PARAMS):
            cursor.execute(*stage.select(
                    stage.plan,
                    Sum(Coalesce(stage.collected_amount, 0)),
                    Sum(stage.amount - Coalesce(stage.collected_amount, 0)),
                    Sum(Case(
                            (stage.due_date < today,
                                stage.amount
                                - Coalesce(stage.collected_amount, 0)),
                            else_=0)),
                    where=SQL_OPERATORS['in'](stage.plan, list(sub)),
                    group_by=[stage.plan]))
            for plan_id, *values in cursor:
                totals[plan_id] = [Decimal(str(v or 0)) for v in values]
        result = {}
        for i, name in enumerate(
                ['collected_amount', 'open_amount', 'overdue_amount']):
            if name in names:
                result[name] = {p.id: p.currency.round(totals[p.id][i])
                    for p in plans}
        return result

    @classmethod
    def get_disputes(cls, plans, name):
        pool = Pool()
        Dispute = pool.get('account.invoice.dispute')
        invoices = cls.invoices_of(plans)
        by_invoice = defaultdict(set)
        for plan_id, invoice_id in invoices:
            by_invoice[invoice_id].add(plan_id)
        result = {p.id: [] for p in plans}
        for sub in grouped_slice(list(by_invoice), backend.MAX_QUERY_PARAMS):
            for dispute in Dispute.search([
                        ('invoice', 'in', list(sub)),
                        ('state', '=', 'open'),
                        ]):
                for plan_id in by_invoice[dispute.invoice.id]:
                    result[plan_id].append(dispute.id)
        return result

    @classmethod
    def invoices_of(cls, plans):
        "The (plan, invoice) pairs of the plans"
        cursor = Transaction().connection.cursor()
        pairs = []
        for sub in grouped_slice(
                [p.id for p in plans], backend.MAX_QUERY_PARAMS):
            query = cls._invoice_query(list(sub))
            cursor.execute(*query.select(query.plan, query.invoice))
            pairs.extend(cursor)
        return pairs

    @classmethod
    def _invoice_query(cls, plan_ids=None, invoice_ids=None):
        """The customer invoices of each plan (among plan_ids): those of its
        orders' lines and the credit notes of their lines (among
        invoice_ids)"""
        pool = Pool()
        Sale = pool.get('sale.sale')
        SaleLine = pool.get('sale.line')
        InvoiceLine = pool.get('account.invoice.line')
        sale = Sale.__table__()
        sale_line = SaleLine.__table__()
        line = InvoiceLine.__table__()
        credit = InvoiceLine.__table__()
        where = sale.collection_plan != Null
        if plan_ids is not None:
            where &= SQL_OPERATORS['in'](sale.collection_plan, plan_ids)
        invoiced = sale.join(sale_line, condition=sale_line.sale == sale.id
            ).join(line, condition=line.origin.like('sale.line,%')
                & (InvoiceLine.origin.sql_id(line.origin, InvoiceLine)
                    == sale_line.id))
        direct_where = credit_where = where
        if invoice_ids is not None:
            direct_where &= SQL_OPERATORS['in'](line.invoice, invoice_ids)
            credit_where &= SQL_OPERATORS['in'](credit.invoice, invoice_ids)
        direct = invoiced.select(
            sale.collection_plan.as_('plan'), line.invoice.as_('invoice'),
            where=direct_where)
        credited = invoiced.join(
            credit, condition=credit.origin.like('account.invoice.line,%')
            & (InvoiceLine.origin.sql_id(credit.origin, InvoiceLine)
                == line.id)
            ).select(
                sale.collection_plan.as_('plan'),
                credit.invoice.as_('invoice'),
                where=credit_where)
        return Union(direct, credited)

    @classmethod
    def _collection_query(cls, plan_ids=None):
        """The amounts collected for each plan by date, from the ledger: the
        other lines of the reconciliations of its invoices' lines to pay
        (the payments, net of credit notes and write-offs) at their dates,
        and the partial payments added to its invoices"""
        pool = Pool()
        Invoice = pool.get('account.invoice')
        AdditionalMove = pool.get('account.invoice-additional-account.move')
        Move = pool.get('account.move')
        MoveLine = pool.get('account.move.line')
        PaymentLine = pool.get('account.invoice-account.move.line')
        invoice = Invoice.__table__()
        additional = AdditionalMove.__table__()
        move = Move.__table__()
        line = MoveLine.__table__()
        payment_line = PaymentLine.__table__()
        plan_invoice = With(query=cls._invoice_query(plan_ids))

        # the lines to pay, as Invoice._query_lines_to_pay: on the invoice
        # move and on the moves that rescheduled them
        posted = (invoice.state.in_(['posted', 'paid'])
            & (invoice.type == 'out'))
        invoiced = plan_invoice.join(
            invoice, condition=invoice.id == plan_invoice.invoice)
        moves = Union(
            invoiced.select(
                plan_invoice.plan, invoice.move, invoice.account,
                where=posted),
            invoiced.join(additional,
                condition=additional.invoice == invoice.id).select(
                plan_invoice.plan, additional.move, invoice.account,
                where=posted),
            all_=True)
        to_pay = moves.join(line, condition=(line.move == moves.move)
            & (line.account == moves.account)
            ).join(move, condition=move.id == line.move
            ).select(
                moves.plan, line.reconciliation, move.date,
                (line.debit - line.credit).as_('amount'),
                where=line.reconciliation != Null)
        # every line of those reconciliations; the lines to pay themselves
        # cancel out with to_pay, which leaves what paid them
        reconciliations = to_pay.select(
            to_pay.plan, to_pay.reconciliation, distinct=True)
        settled = reconciliations.join(line,
            condition=line.reconciliation == reconciliations.reconciliation
            ).join(move, condition=move.id == line.move
            ).select(
                reconciliations.plan, move.date,
                (line.credit - line.debit).as_('amount'))
        partial = plan_invoice.join(payment_line,
            condition=payment_line.invoice == plan_invoice.invoice
            ).join(line, condition=line.id == payment_line.line
            ).join(move, condition=move.id == line.move
            ).select(
                plan_invoice.plan, move.date,
                (line.credit - line.debit).as_('amount'),
                where=line.reconciliation == Null)
        events = Union(
            settled, to_pay.select(to_pay.plan, to_pay.date, to_pay.amount),
            partial, all_=True)
        return events.select(
            events.plan, events.date, Sum(events.amount).as_('amount'),
            group_by=[events.plan, events.date],
            having=Abs(Sum(events.amount)) > _TOLERANCE,
            with_=[plan_invoice])

    @classmethod
    def _stage_query(cls, plan_ids=None):
        """Per stage of the plans: its amount, the plan's collections
        allocated to the stages in due-date order up to its due date and in
        all, the day it was fully collected, and what is stored of them"""
        pool = Pool()
        Stage = pool.get('sale.collection.stage')
        stage = Stage.__table__()
        plan = cls.__table__()

        where = plan.state != 'cancelled'
        if plan_ids is not None:
            where &= SQL_OPERATORS['in'](plan.id, plan_ids)
        window = Window([stage.plan],
            order_by=[stage.due_date.asc, stage.id.asc])
        ranked = stage.join(plan, condition=plan.id == stage.plan).select(
            stage.id, stage.plan, plan.currency, stage.due_date, stage.amount,
            Sum(stage.amount, window=window).as_('upto'),
            stage.collected_amount, stage.collected_on_time,
            stage.collected_date, stage.state,
            where=where)

        events = With(query=cls._collection_query(plan_ids))
        total = events.select(
            events.plan, Sum(events.amount).as_('amount'),
            group_by=[events.plan])
        by_due = ranked.join(events, condition=(events.plan == ranked.plan)
            & (events.date <= ranked.due_date)
            ).select(
                ranked.id, Sum(events.amount).as_('amount'),
                group_by=[ranked.id])
        running = events.select(
            events.plan, events.date,
            Sum(events.amount, window=Window([events.plan],
                    order_by=[events.date.asc])).as_('amount'))
        reached = ranked.join(running, condition=(running.plan == ranked.plan)
            & (running.amount >= ranked.upto - _TOLERANCE)
            ).select(
                ranked.id, Min(running.date).as_('date'),
                group_by=[ranked.id])
        return ranked.join(total, 'LEFT',
            condition=total.plan == ranked.plan
            ).join(by_due, 'LEFT', condition=by_due.id == ranked.id
            ).join(reached, 'LEFT', condition=reached.id == ranked.id
            ).select(
                ranked.id, ranked.currency, ranked.due_date, ranked.amount,
                ranked.upto - ranked.amount,
                Coalesce(total.amount, 0), Coalesce(by_due.amount, 0),
                reached.date,
                ranked.collected_amount, ranked.collected_on_time,
                ranked.collected_date, ranked.state,
                with_=[events])

    @classmethod
    def copy(cls, plans, default=None):
        default = default.copy() if default is not None else {}
        for name in ['sales', 'logs', 'reason', 'confirmed_by', 'confirmed_at',
                'cancelled_by', 'cancelled_at']:
            default.setdefault(name, None)
        default.setdefault('state', 'draft')
        return super().copy(plans, default=default)

    @classmethod
    def check_modification(cls, mode, plans, values=None, external=False):
        super().check_modification(
            mode, plans, values=values, external=external)
        if mode == 'delete':
            for plan in plans:
                raise CollectionError(gettext(
                        'sales_ops_policy.msg_collection_plan_delete',
                        plan=plan.rec_name))

    @classmethod
    def create_for(cls, documents):
        """Create the plans of signed contracts or orders without contract
        from their payment terms (P3.5.1) and return them"""
        pool = Pool()
        Stage = pool.get('sale.collection.stage')
        plans = []
        for document in documents:
            plan = cls(
                company=document.company,
                party=document.party,
                employee=document.employee,
                currency=document.currency,
                payment_term=document.payment_term,
                state='confirmed')
            if document.__name__ == 'sale.contract':
                plan.contract = document
                plan.amount = document.amount
                plan.date = document.signing_date
            else:
                plan.sale = document
                plan.amount = document.total_amount
                plan.date = document.sale_date
            plan.date = plan.date or collection_date()
            plan.stages = [Stage(**v) for v in plan._stage_values()]
            plans.append(plan)
        # plans are made by the system, whoever signs or confirms
        with without_check_access():
            cls.save(plans)
            cls.log_change(plans, 'create')
        Stage.update_collection(plans)
        return plans

    def _stage_values(self):
        "The stages the payment term gives the amount from the date"
        lines = self.payment_term.lines if self.payment_term else []
        if self.payment_term:
            terms = self.payment_term.compute(
                self.amount, self.currency, self.date)
        else:
            terms = [(self.date, self.amount)]
        kinds = [l.collection_stage for l in lines]
        if len(kinds) != len(terms):
            kinds = [None] * len(terms)
        return [{
                'sequence': i,
                'kind': kind,
                'due_date': date,
                'amount': amount,
                'employee': self.employee,
                } for i, ((date, amount), kind) in enumerate(
                zip(terms, kinds), 1)]

    @classmethod
    def replace_version(cls, contracts):
        """Hand the plans of the versions the contracts replace over to
        them: a plan with collections follows the new version and is
        reopened for its stages to be planned again, one without is
        cancelled for the new version's own plan"""
        pool = Pool()
        Lang = pool.get('ir.lang')
        lang = Lang.get()
        to_move, to_cancel = [], []
        for contract in contracts:
            previous = contract.previous_version
            if not previous:
                continue
            for plan in previous.collection_plans:
                if plan.state == 'cancelled':
                    continue
                reason = gettext(
                    'sales_ops_policy.msg_collection_plan_version',
                    contract=contract.rec_name,
                    amount=lang.currency(contract.amount, contract.currency))
                if plan.collected_amount:
                    to_move.append((plan, contract, reason))
                else:
                    to_cancel.append((plan, contract, reason))
        with without_check_access():
            for plan, contract, reason in to_move:
                cls.write([plan], {
                        'contract': contract.id,
                        'amount': contract.amount,
                        'state': 'draft',
                        'reason': reason,
                        })
                cls.log_change([plan], 'adjust')
            for plan, contract, reason in to_cancel:
                cls.write([plan], {'reason': reason})
                cls.cancel([plan])
        # the orders of the old version are collected in the new plan
        return [(p, c) for p, c, _ in to_cancel]

    @classmethod
    def log_change(cls, plans, action, reason=None):
        "Log the stages of the plans as they are, who and when"
        pool = Pool()
        Log = pool.get('sale.collection.plan.log')
        Lang = pool.get('ir.lang')
        lang = Lang.get()
        employee = Transaction().context.get('employee')
        logs = []
        for plan in cls.browse(plans):
            stages = '\n'.join(
                f'{s.sequence or ""}. {s.kind_string or ""} '
                f'{lang.strftime(s.due_date) if s.due_date else ""} '
                f'{lang.currency(s.amount or 0, plan.currency)} '
                f'{s.employee.rec_name if s.employee else ""}'.strip()
                for s in plan.stages)
            logs.append(Log(
                    plan=plan, action=action, employee=employee,
                    reason=reason if reason is not None else plan.reason,
                    stages=stages))
        Log.save(logs)

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def adjust(cls, plans):
        "Reopen the stages for a change, for a reason, before any collection"
        for plan in plans:
            if not (plan.reason or '').strip():
                raise CollectionError(gettext(
                        'sales_ops_policy.msg_collection_adjust_reason',
                        plan=plan.rec_name))
            if plan.collected_amount:
                raise CollectionError(gettext(
                        'sales_ops_policy.msg_collection_adjust_collected',
                        plan=plan.rec_name))
        cls.log_change(plans, 'adjust')

    @classmethod
    @ModelView.button
    @Workflow.transition('confirmed')
    @set_employee('confirmed_by')
    def confirm(cls, plans):
        cls.check_stages(plans)
        cls.write(plans, {'confirmed_at': _now()})
        cls.log_change(plans, 'confirm')
        cls.write(plans, {'reason': None})
        cls.refresh(plans)

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    @set_employee('cancelled_by')
    def cancel(cls, plans):
        for plan in plans:
            if plan.collected_amount:
                raise CollectionError(gettext(
                        'sales_ops_policy.msg_collection_cancel_collected',
                        plan=plan.rec_name))
        cls.write(plans, {'cancelled_at': _now()})
        cls.log_change(plans, 'cancel')

    @classmethod
    @ModelView.button
    def refresh(cls, plans):
        "Read the collections of the plans from the ledger again"
        pool = Pool()
        Stage = pool.get('sale.collection.stage')
        Stage.update_collection(plans)

    @classmethod
    def check_stages(cls, plans):
        """The stages sum to the amount, none is due before the plan's date
        (P3.5.1)"""
        pool = Pool()
        Lang = pool.get('ir.lang')
        lang = Lang.get()
        for plan in plans:
            total = sum(s.amount or 0 for s in plan.stages)
            if total != plan.amount:
                raise CollectionValidationError(gettext(
                        'sales_ops_policy.msg_collection_stage_sum',
                        plan=plan.rec_name,
                        total=lang.currency(total, plan.currency),
                        amount=lang.currency(plan.amount, plan.currency)))
            for stage in plan.stages:
                if stage.due_date < plan.date:
                    raise CollectionValidationError(gettext(
                            'sales_ops_policy.msg_collection_stage_date',
                            plan=plan.rec_name,
                            date=lang.strftime(stage.due_date),
                            plan_date=lang.strftime(plan.date)))

    @classmethod
    def of_lines(cls, lines):
        """The plans whose invoices the move lines belong to (on the invoice
        move or a move rescheduling it) or pay"""
        pool = Pool()
        Invoice = pool.get('account.invoice')
        AdditionalMove = pool.get('account.invoice-additional-account.move')
        MoveLine = pool.get('account.move.line')
        PaymentLine = pool.get('account.invoice-account.move.line')
        invoice = Invoice.__table__()
        additional = AdditionalMove.__table__()
        line = MoveLine.__table__()
        payment_line = PaymentLine.__table__()
        cursor = Transaction().connection.cursor()
        invoice_ids = set()
        for sub in grouped_slice(
                [int(l) for l in lines], backend.MAX_QUERY_PARAMS):
            owned = line.join(invoice, condition=invoice.move == line.move
                ).select(invoice.id,
                    where=SQL_OPERATORS['in'](line.id, list(sub)))
            rescheduled = line.join(additional,
                condition=additional.move == line.move
                ).select(additional.invoice,
                    where=SQL_OPERATORS['in'](line.id, list(sub)))
            paid = payment_line.select(payment_line.invoice,
                where=SQL_OPERATORS['in'](payment_line.line, list(sub)))
            cursor.execute(*Union(owned, rescheduled, paid))
            invoice_ids.update(i for i, in cursor)
        return cls.of_invoices(invoice_ids)

    @classmethod
    def of_invoices(cls, invoices):
        cursor = Transaction().connection.cursor()
        plan_ids = set()
        for sub in grouped_slice(
                [int(i) for i in invoices], backend.MAX_QUERY_PARAMS):
            plan_invoice = cls._invoice_query(invoice_ids=list(sub))
            cursor.execute(*plan_invoice.select(plan_invoice.plan,
                    distinct=True))
            plan_ids.update(i for i, in cursor)
        return cls.browse(sorted(plan_ids))


class PlanLog(ModelSQL, ModelView):
    "Collection Plan Change"
    __name__ = 'sale.collection.plan.log'
    __string__ = "Collection Plan Change"
    plan = fields.Many2One(
        'sale.collection.plan', "Plan", required=True, readonly=True,
        ondelete='CASCADE')
    action = fields.Selection([
            ('create', "Created"),
            ('adjust', "Adjustment Started"),
            ('confirm', "Confirmed"),
            ('cancel', "Cancelled"),
            ], "Action", readonly=True, required=True)
    employee = fields.Many2One(
        'company.employee', "By", readonly=True)
    reason = fields.Text("Reason", readonly=True)
    stages = fields.Text(
        "Stages", readonly=True, help="The stages as they were then.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('plan')
        cls._order = [('create_date', 'DESC'), ('id', 'DESC')]

    @classmethod
    def check_modification(cls, mode, logs, values=None, external=False):
        super().check_modification(
            mode, logs, values=values, external=external)
        if mode in {'write', 'delete'} and external:
            raise CollectionError(gettext(
                    'sales_ops_policy.msg_collection_log_readonly'))


class Stage(sequence_ordered(), ModelSQL, ModelView):
    "Collection Stage"
    __name__ = 'sale.collection.stage'
    __string__ = "Collection Stage"
    _states = {
        'readonly': Eval('plan_state') != 'draft',
        }
    plan = fields.Many2One(
        'sale.collection.plan', "Plan", required=True, ondelete='CASCADE',
        states={
            'readonly': Eval('id', -1) >= 0,
            })
    plan_state = fields.Function(fields.Selection(
            'get_plan_states', "Plan State"), 'on_change_with_plan_state')
    company = fields.Function(fields.Many2One(
            'company.company', "Company"), 'on_change_with_company',
        searcher='search_plan_field')
    party = fields.Function(fields.Many2One(
            'party.party', "Customer",
            context={'company': Eval('company', -1)}, depends={'company'}),
        'on_change_with_party', searcher='search_plan_field')
    currency = fields.Function(fields.Many2One(
            'currency.currency', "Currency"), 'on_change_with_currency')
    currency_digits = fields.Function(
        fields.Integer("Currency Digits"), 'on_change_with_currency_digits')
    kind = fields.Selection(STAGE_KINDS, "Stage", states=_states)
    kind_string = kind.translated('kind')
    description = fields.Char("Description", states=_states)
    due_date = fields.Date("Due Date", required=True, states=_states)
    amount = fields.Numeric(
        "Target Amount", required=True, states=_states,
        digits=(16, Eval('currency_digits', 2)))
    employee = fields.Many2One(
        'company.employee', "Responsible", required=True,
        domain=[('company', '=', Eval('company', -1))],
        states={
            'readonly': Eval('plan_state') == 'cancelled',
            },
        help="The salesperson who collects the stage.")
    collected_amount = fields.Numeric(
        "Collected", readonly=True,
        digits=(16, Eval('currency_digits', 2)),
        help="What the customer paid for the stage, read from the ledger.")
    collected_on_time = fields.Numeric(
        "Collected on Time", readonly=True,
        digits=(16, Eval('currency_digits', 2)),
        help="What the customer paid for the stage by its due date.")
    collected_date = fields.Date(
        "Collected On", readonly=True,
        help="The day the stage was fully collected.")
    open_amount = fields.Function(fields.Numeric(
            "To Collect", digits=(16, Eval('currency_digits', 2))),
        'get_open_amount')
    state = fields.Selection([
            ('open', "Open"),
            ('partial', "Partly Collected"),
            ('collected', "Collected"),
            ('overdue', "Overdue"),
            ], "Status", readonly=True, required=True, sort=False)
    state_string = state.translated('state')
    followups = fields.One2Many(
        'sale.followup', 'collection_stage', "Follow-ups",
        domain=[
            ('party', '=', Eval('party', -1)),
            ('company', '=', Eval('company', -1)),
            ])
    promised_date = fields.Function(fields.Date(
            "Promised Date",
            help="The latest payment date the customer promised."),
        'get_promised_date')
    needs_followup = fields.Function(fields.Boolean(
            "Needs Follow-up",
            help="Overdue with no promise of payment still to come "
            "(P3.5.2)."),
        'get_needs_followup', searcher='search_needs_followup')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('plan')
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.plan, Index.Range())),
                Index(t, (t.employee, Index.Range()),
                    (t.state, Index.Equality(cardinality='low'))),
                Index(t, (t.due_date, Index.Range()),
                    where=t.state.in_(['open', 'partial', 'overdue'])),
                })
        cls._order = [('due_date', 'ASC'), ('id', 'ASC')]

    @classmethod
    def default_state(cls):
        return 'open'

    @classmethod
    def get_plan_states(cls):
        pool = Pool()
        Plan = pool.get('sale.collection.plan')
        return Plan.fields_get(['state'])['state']['selection']

    @fields.depends('plan', '_parent_plan.state')
    def on_change_with_plan_state(self, name=None):
        return self.plan.state if self.plan else 'draft'

    @fields.depends('plan', '_parent_plan.company')
    def on_change_with_company(self, name=None):
        return self.plan.company if self.plan else None

    @fields.depends('plan', '_parent_plan.party')
    def on_change_with_party(self, name=None):
        return self.plan.party if self.plan else None

    @fields.depends('plan', '_parent_plan.currency')
    def on_change_with_currency(self, name=None):
        return self.plan.currency if self.plan else None

    @fields.depends('plan', '_parent_plan.currency')
    def on_change_with_currency_digits(self, name=None):
        return self.plan.currency.digits if self.plan else 2

    @fields.depends('plan', '_parent_plan.employee')
    def on_change_plan(self):
        if self.plan and not self.employee:
            self.employee = self.plan.employee

    @classmethod
    def search_plan_field(cls, name, clause):
        return [('plan.' + clause[0], *clause[1:])]

    def get_rec_name(self, name):
        label = self.description or self.kind_string or str(
            self.sequence or '')
        return f'{self.plan.rec_name}: {label} {self.due_date or ""}'.strip()

    @classmethod
    def search_rec_name(cls, name, clause):
        return search_any(clause, 'plan.rec_name', 'description')

    def get_open_amount(self, name):
        return (self.amount or 0) - (self.collected_amount or 0)

    @classmethod
    def get_promised_date(cls, stages, name):
        pool = Pool()
        FollowUp = pool.get('sale.followup')
        followup = FollowUp.__table__()
        cursor = Transaction().connection.cursor()
        result = dict.fromkeys(map(int, stages))
        for sub in grouped_slice(list(result), backend.MAX_QUERY_PARAMS):
            cursor.execute(*followup.select(
                    followup.collection_stage, Max(followup.promised_date),
                    where=SQL_OPERATORS['in'](
                        followup.collection_stage, list(sub)),
                    group_by=[followup.collection_stage]))
            result.update((s, _date(d)) for s, d in cursor)
        return result

    @classmethod
    def _needs_followup_query(cls):
        "The overdue stages without a promise of payment still to come"
        pool = Pool()
        FollowUp = pool.get('sale.followup')
        stage = cls.__table__()
        followup = FollowUp.__table__()
        promised = followup.select(followup.collection_stage,
            where=(followup.collection_stage != Null)
            & (followup.promised_date >= collection_date()))
        return stage.select(stage.id,
            where=(stage.state == 'overdue') & ~stage.id.in_(promised))

    @classmethod
    def get_needs_followup(cls, stages, name):
        return query_flags(cls._needs_followup_query(), stages)

    @classmethod
    def search_needs_followup(cls, name, clause):
        return search_query_flag(clause, cls._needs_followup_query())

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('/tree', 'visual',
                If(Eval('state') == 'overdue', 'danger',
                    If(Eval('state') == 'collected', 'success', ''))),
            ]

    @classmethod
    def validate_fields(cls, stages, field_names):
        super().validate_fields(stages, field_names)
        if not field_names or 'amount' in field_names:
            check_not_negative(stages, 'amount')

    @classmethod
    def check_modification(cls, mode, stages, values=None, external=False):
        super().check_modification(
            mode, stages, values=values, external=external)
        if mode == 'create':
            return
        if mode == 'write' and not (_STAGE_TERMS & set(values or {})):
            return
        for stage in stages:
            if stage.collected_amount:
                raise CollectionError(gettext(
                        'sales_ops_policy.msg_collection_stage_collected',
                        stage=stage.rec_name))
            if stage.plan.state != 'draft':
                raise CollectionError(gettext(
                        'sales_ops_policy.msg_collection_stage_confirmed',
                        stage=stage.rec_name))

    @classmethod
    def copy(cls, stages, default=None):
        default = default.copy() if default is not None else {}
        for name in ['collected_amount', 'collected_on_time',
                'collected_date', 'state', 'followups']:
            default.setdefault(name, None)
        return super().copy(stages, default=default)

    @classmethod
    def update_collection(cls, plans=None):
        """Read the collections of the plans (all open ones when None) from
        the ledger, allocate them to the stages in due-date order and mark
        the stages overdue on the collection date: one set-based pass
        (P3.5.1, P3.5.2)"""
        pool = Pool()
        Plan = pool.get('sale.collection.plan')
        Currency = pool.get('currency.currency')
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        today = collection_date()
        ids = None if plans is None else [int(p) for p in plans]
        if ids is not None and not ids:
            return
        computed = []
        for sub in ([None] if ids is None
                else grouped_slice(ids, backend.MAX_QUERY_PARAMS)):
            cursor.execute(*Plan._stage_query(
                    None if sub is None else list(sub)))
            computed.extend(cursor)

        to_update = defaultdict(list)
        currencies = {}
        for (stage_id, currency, due_date, amount, before, total, by_due,
                date, *old) in computed:
            if currency not in currencies:
                currencies[currency] = Currency(currency)
            round = currencies[currency].round
            amount, before = _decimal(amount), _decimal(before)
            collected = round(_allocate(_decimal(total), before, amount))
            # what was paid by the due date and refunded since was not
            # collected on time
            on_time = min(
                round(_allocate(_decimal(by_due), before, amount)), collected)
            due_date = _date(due_date)
            if collected >= amount:
                state = 'collected'
                date = _date(date)
            else:
                date = None
                if due_date < today:
                    state = 'overdue'
                elif collected:
                    state = 'partial'
                else:
                    state = 'open'
            values = (collected, on_time, date, state)
            if (old[0] is None or old[1] is None
                    or (_decimal(old[0]), _decimal(old[1]), _date(old[2]),
                        old[3]) != values):
                to_update[values].append(stage_id)
        for (collected, on_time, date, state), stage_ids in (
                to_update.items()):
            for sub in grouped_slice(stage_ids, backend.MAX_QUERY_PARAMS):
                cursor.execute(*table.update(
                        [table.collected_amount, table.collected_on_time,
                            table.collected_date, table.state],
                        [collected, on_time, date, state],
                        where=SQL_OPERATORS['in'](table.id, list(sub))))
        # the stored values changed under the records read in this
        # transaction
        Transaction().counter += 1
        return sum(len(i) for i in to_update.values())

    @classmethod
    def scan_overdue(cls):
        "The daily task: collections read again, overdue stages marked"
        cls.update_collection()

    @classmethod
    def send_reminders(cls):
        """Send each responsible salesperson one e-mail listing the stages
        needing a follow-up, through the notification e-mail
        "collection_reminder_email" of this module (P3.5.2)"""
        transaction = Transaction()
        domain = [('needs_followup', '=', True)]
        if transaction.context.get('company'):
            domain.append(('company', '=', transaction.context['company']))
        by_employee = defaultdict(list)
        for stage in cls.search(domain):
            by_employee[stage.employee.id].append(stage.id)
        return notify_employees(
            'collection_reminder_email', by_employee, 'collection_stages')


def _decimal(value):
    # SQLite sums numerics as floats
    if value is None:
        return Decimal(0)
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    return value


def _allocate(collected, before, amount):
    "The part of collected falling on a stage after before, up to amount"
    return min(max(collected - before, Decimal(0)), amount)


class FollowUp(metaclass=PoolMeta):
    __name__ = 'sale.followup'
    collection_stage = fields.Many2One(
        'sale.collection.stage', "Collection Stage", ondelete='RESTRICT',
        domain=[
            ('party', '=', Eval('party', -1)),
            ],
        help="The payment stage the contact was about (P3.5.2).")
    delay_reason = fields.Text(
        "Reason for Delay",
        states={
            'invisible': ~Eval('collection_stage'),
            },
        help="Why the customer has not paid.")
    promised_date = fields.Date(
        "Promised Payment Date",
        states={
            'invisible': ~Eval('collection_stage'),
            },
        help="The day the customer promised to pay; when it passes without "
        "payment the stage needs a follow-up again.")
    measure = fields.Char(
        "Measure Taken",
        states={
            'invisible': ~Eval('collection_stage'),
            },
        help="What was done to collect: reminder, visit, letter, …")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.collection_stage, Index.Range())))

    @fields.depends('collection_stage', '_parent_collection_stage.party')
    def on_change_collection_stage(self):
        if self.collection_stage and self.collection_stage.party:
            self.party = self.collection_stage.party

    @classmethod
    def validate_fields(cls, followups, field_names):
        super().validate_fields(followups, field_names)
        if field_names and not field_names & {
                'date', 'promised_date', 'company'}:
            return
        for followup in followups:
            if (followup.promised_date
                    and followup.promised_date < followup.contact_day):
                raise CollectionValidationError(gettext(
                        'sales_ops_policy.msg_collection_promised_date',
                        promised_date=followup.promised_date,
                        date=followup.contact_day,
                        followup=followup.rec_name))


class Dispute(Workflow, ModelSQL, ModelView):
    "Invoice Dispute"
    __name__ = 'account.invoice.dispute'
    __string__ = "Invoice Dispute"
    company = fields.Function(fields.Many2One(
            'company.company', "Company"), 'on_change_with_company',
        searcher='search_invoice_field')
    invoice = fields.Many2One(
        'account.invoice', "Invoice", required=True, ondelete='RESTRICT',
        domain=[
            ('type', '=', 'out'),
            ('state', 'in', ['posted', 'paid']),
            ],
        states={
            'readonly': Eval('id', -1) >= 0,
            })
    party = fields.Function(fields.Many2One(
            'party.party', "Customer",
            context={'company': Eval('company', -1)}, depends={'company'}),
        'on_change_with_party', searcher='search_invoice_field')
    reason = fields.Text(
        "Reason", required=True,
        states={
            'readonly': Eval('state') != 'open',
            },
        help="What the customer disputes.")
    resolution = fields.Text(
        "Resolution",
        states={
            'readonly': Eval('state') != 'open',
            },
        help="How the dispute was settled.")
    opened_by = employee_field("Opened By", states=['open', 'resolved'])
    opened_at = fields.Timestamp("Opened At", readonly=True)
    resolved_by = employee_field("Resolved By", states=['resolved'])
    resolved_at = fields.Timestamp("Resolved At", readonly=True)
    state = fields.Selection([
            ('open', "Open"),
            ('resolved', "Resolved"),
            ], "State", readonly=True, required=True, sort=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.invoice, Index.Range()),
                (t.state, Index.Equality(cardinality='low'))))
        cls._order = [('opened_at', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {('open', 'resolved')}
        cls._buttons.update({
                'resolve': {
                    'invisible': Eval('state') != 'open',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'open'

    @classmethod
    def default_opened_by(cls):
        return Transaction().context.get('employee')

    @classmethod
    def default_opened_at(cls):
        return _now()

    @fields.depends('invoice', '_parent_invoice.company')
    def on_change_with_company(self, name=None):
        return self.invoice.company if self.invoice else None

    @fields.depends('invoice', '_parent_invoice.party')
    def on_change_with_party(self, name=None):
        return self.invoice.party if self.invoice else None

    @classmethod
    def search_invoice_field(cls, name, clause):
        return [('invoice.' + clause[0], *clause[1:])]

    def get_rec_name(self, name):
        return self.invoice.rec_name

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('invoice.rec_name', *clause[1:])]

    @classmethod
    def validate_fields(cls, disputes, field_names):
        super().validate_fields(disputes, field_names)
        if field_names and 'reason' not in field_names:
            return
        for dispute in disputes:
            if not (dispute.reason or '').strip():
                raise DisputeError(gettext(
                        'sales_ops_policy.msg_dispute_reason',
                        invoice=dispute.invoice.rec_name))

    @classmethod
    def on_modification(cls, mode, disputes, field_names=None):
        super().on_modification(mode, disputes, field_names=field_names)
        if mode == 'create':
            cls.block_dunnings(disputes)

    @classmethod
    def check_modification(cls, mode, disputes, values=None, external=False):
        super().check_modification(
            mode, disputes, values=values, external=external)
        if mode == 'delete':
            for dispute in disputes:
                raise DisputeError(gettext(
                        'sales_ops_policy.msg_dispute_delete',
                        invoice=dispute.invoice.rec_name))

    @classmethod
    def block_dunnings(cls, disputes, blocked=True):
        "Pause (or resume) the dunning of the disputed invoices' lines"
        pool = Pool()
        Dunning = pool.get('account.dunning')
        lines = [l.id for d in disputes for l in d.invoice.lines_to_pay]
        with without_check_access():
            dunnings = Dunning.search([('line', 'in', lines)])
            if dunnings:
                Dunning.write(dunnings, {'blocked': blocked})

    @classmethod
    @ModelView.button
    @Workflow.transition('resolved')
    @set_employee('resolved_by')
    def resolve(cls, disputes):
        cls.write(disputes, {'resolved_at': _now()})
        cls.block_dunnings(disputes, blocked=False)

    @classmethod
    def disputed_lines(cls):
        "Query of the receivable lines of the invoices under open dispute"
        pool = Pool()
        Invoice = pool.get('account.invoice')
        MoveLine = pool.get('account.move.line')
        dispute = cls.__table__()
        invoice = Invoice.__table__()
        line = MoveLine.__table__()
        return dispute.join(invoice, condition=invoice.id == dispute.invoice
            ).join(line, condition=(line.move == invoice.move)
                & (line.account == invoice.account)
            ).select(line.id, where=dispute.state == 'open')


class Invoice(metaclass=PoolMeta):
    __name__ = 'account.invoice'
    disputes = fields.One2Many(
        'account.invoice.dispute', 'invoice', "Disputes", readonly=True)

    @classmethod
    def on_modification(cls, mode, invoices, field_names=None):
        pool = Pool()
        Plan = pool.get('sale.collection.plan')
        Stage = pool.get('sale.collection.stage')
        super().on_modification(mode, invoices, field_names=field_names)
        # a partial payment added or removed, an invoice posted or cancelled
        if mode == 'write' and field_names and (
                field_names & {'payment_lines', 'state'}):
            Stage.update_collection(Plan.of_invoices(invoices))


class Reconciliation(metaclass=PoolMeta):
    __name__ = 'account.move.reconciliation'

    @classmethod
    def on_modification(cls, mode, reconciliations, field_names=None):
        pool = Pool()
        Plan = pool.get('sale.collection.plan')
        Stage = pool.get('sale.collection.stage')
        super().on_modification(
            mode, reconciliations, field_names=field_names)
        if mode == 'create':
            Stage.update_collection(Plan.of_lines(
                    [l for r in reconciliations for l in r.lines]))

    @classmethod
    def on_delete(cls, reconciliations):
        pool = Pool()
        Plan = pool.get('sale.collection.plan')
        Stage = pool.get('sale.collection.stage')
        callback = super().on_delete(reconciliations)
        plans = Plan.of_lines([l for r in reconciliations for l in r.lines])
        if plans:
            # once the reconciliation is gone
            callback.append(lambda: Stage.update_collection(plans))
        return callback


class DunningLevel(metaclass=PoolMeta):
    __name__ = 'account.dunning.level'
    name = fields.Char(
        "Name", translate=True,
        help="What the level does: reminder, formal letter, escalation, "
        "suspension (P3.5.2).")
    suspend_orders = fields.Boolean(
        "Suspend New Orders",
        help="New orders of a customer at this level are confirmed only "
        "with the approval of a sales manager.")

    def get_rec_name(self, name):
        if self.name:
            return f'{self.name}@{self.procedure.rec_name}'
        return super().get_rec_name(name)


class Dunning(metaclass=PoolMeta):
    __name__ = 'account.dunning'

    @classmethod
    def _overdue_line_domain(cls, date):
        pool = Pool()
        Dispute = pool.get('account.invoice.dispute')
        # a disputed invoice is not dunned while the dispute is open
        return super()._overdue_line_domain(date) + [
            ('id', 'not in', Dispute.disputed_lines()),
            ]

    @classmethod
    def suspended_parties(cls, parties):
        "The parties among parties at a dunning level suspending new orders"
        with without_check_access():
            dunnings = cls.search([
                    ('party', 'in', [p.id for p in parties]),
                    ('level.suspend_orders', '=', True),
                    ('state', 'in', ['waiting', 'final']),
                    ('blocked', '=', False),
                    ('line.reconciliation', '=', None),
                    ])
        return {d.party for d in dunnings}


class Sale(metaclass=PoolMeta):
    __name__ = 'sale.sale'
    collection_plan = fields.Many2One(
        'sale.collection.plan', "Collection Plan", readonly=True,
        ondelete='RESTRICT',
        help="The plan following the payments of the order (P3.5.1).")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'request_release': {
                    'invisible': Eval('state') != 'quotation',
                    'readonly': Eval('approval_state') == 'waiting',
                    'depends': ['state', 'approval_state'],
                    },
                })

    @classmethod
    def copy(cls, sales, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('collection_plan', None)
        default.setdefault('approvals', None)
        return super().copy(sales, default=default)

    @classmethod
    def suspended(cls, sales):
        "The sales whose customer is at a suspending dunning level"
        pool = Pool()
        Dunning = pool.get('account.dunning')
        parties = Dunning.suspended_parties({s.party for s in sales})
        return [s for s in sales if s.party in parties]

    @classmethod
    def confirm(cls, sales):
        cls.check_suspension(sales)
        super().confirm(sales)
        cls.plan_collection(sales)

    @classmethod
    def released(cls, sales):
        """The sales whose configured approval steps (the release under
        suspension) are approved and none waits"""
        pool = Pool()
        Request = pool.get('approval.request')
        released, waiting = set(), set()
        for sub in grouped_slice(
                [str(s) for s in sales], backend.MAX_QUERY_PARAMS):
            for request in Request.search([
                        ('document', 'in', list(sub)),
                        ('step', '!=', None),
                        ('state', 'in', ['waiting', 'approved']),
                        ]):
                (released if request.state == 'approved' else waiting).add(
                    request.document.id)
        return {s for s in sales if s.id in released - waiting}

    @classmethod
    def check_suspension(cls, sales):
        """A customer at the suspension level gets no new order without a
        sales manager's approval of it (P3.5.2)"""
        suspended = cls.suspended(sales)
        released = cls.released(suspended)
        for sale in suspended:
            if sale not in released:
                raise SuspensionError(gettext(
                        'sales_ops_policy.msg_collection_suspended',
                        sale=sale.rec_name, party=sale.party.rec_name))

    @classmethod
    @ModelView.button
    def request_release(cls, sales):
        "Ask a sales manager to release orders of a suspended customer"
        suspended = cls.suspended(sales)
        for sale in sales:
            if sale not in suspended:
                raise SuspensionError(gettext(
                        'sales_ops_policy.msg_collection_not_suspended',
                        sale=sale.rec_name, party=sale.party.rec_name))
            if sale.approval_state == 'waiting':
                raise SuspensionError(gettext(
                        'sales_ops_policy.msg_collection_release_waiting',
                        sale=sale.rec_name))
        cls.request_configured_approvals(sales)

    @classmethod
    def plan_collection(cls, sales):
        """Follow the payments of the confirmed orders: in the plan of
        their contract, else in a plan of their own (P3.5.1)"""
        pool = Pool()
        Plan = pool.get('sale.collection.plan')
        Contract = pool.get('sale.contract')
        sales = [s for s in cls.browse(sales) if not s.collection_plan]
        contracts = {s.contract for s in sales if s.contract}
        plans = {p.contract: p for p in Plan.search([
                    ('contract', 'in', [c.id for c in contracts]),
                    ('state', '!=', 'cancelled'),
                    ])}
        missing = [c for c in contracts
            if c not in plans and c.state in {'signed', 'active', 'closed'}]
        for plan in Plan.create_for(Contract.browse(missing)):
            plans[plan.contract] = plan
        to_write = []
        own = []
        for sale in sales:
            plan = plans.get(sale.contract)
            if plan:
                to_write.extend([[sale], {'collection_plan': plan.id}])
            else:
                own.append(sale)
        for plan in Plan.create_for(own):
            to_write.extend([[plan.sale], {'collection_plan': plan.id}])
        if to_write:
            cls.write(*to_write)


class Contract(metaclass=PoolMeta):
    __name__ = 'sale.contract'
    collection_plans = fields.One2Many(
        'sale.collection.plan', 'contract', "Collection Plans",
        readonly=True)

    @classmethod
    def copy(cls, contracts, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('collection_plans', None)
        return super().copy(contracts, default=default)

    @classmethod
    def sign(cls, contracts):
        pool = Pool()
        Plan = pool.get('sale.collection.plan')
        Sale = pool.get('sale.sale')
        Stage = pool.get('sale.collection.stage')
        super().sign(contracts)
        contracts = cls.browse(contracts)
        # the plan comes with the signature (P3.5.1)
        replaced = Plan.replace_version(contracts)
        contracts = cls.browse(contracts)
        plans = {p.contract: p for p in Plan.create_for(
                [c for c in contracts if not c.collection_plans])}
        to_write = []
        for old, contract in replaced:
            if old.sales and contract in plans:
                to_write.extend([list(old.sales), {
                            'collection_plan': plans[contract].id,
                            }])
        if to_write:
            with without_check_access():
                Sale.write(*to_write)
                Stage.update_collection(list(plans.values()))


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.extend([
                ('sale.collection.stage|scan_overdue',
                    "Scan Overdue Collections"),
                ('sale.collection.stage|send_reminders',
                    "Send Collection Reminders"),
                ])


class ReminderReport(Report):
    "The overdue collections of a salesperson (P3.5.2)"
    __name__ = 'sale.collection.reminder'

    @classmethod
    def get_context(cls, records, header, data):
        pool = Pool()
        Stage = pool.get('sale.collection.stage')
        context = super().get_context(records, header, data)
        ids = Transaction().context.get('collection_stages')
        if ids is None:
            stages = Stage.search([
                    ('needs_followup', '=', True),
                    ('employee', 'in', [
                            e.id for u in records for e in u.employees]),
                    ])
        else:
            stages = Stage.browse(ids)
        context['stages'] = stages
        context['today'] = collection_date()
        return context


class RateContext(ModelView):
    "Collection Rate Context"
    __name__ = 'sale.collection.rate.context'
    __string__ = "Collection Rate Context"
    company = fields.Many2One('company.company', "Company", required=True)
    from_date = fields.Date(
        "From Date", required=True,
        domain=[('from_date', '<=', Eval('to_date', None))])
    to_date = fields.Date(
        "To Date", required=True,
        domain=[('to_date', '>=', Eval('from_date', None))],
        help="The stages due in the period count; the ageing of overdue "
        "amounts is judged on this day.")

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_from_date(cls):
        context = Transaction().context
        if 'from_date' in context:
            return context['from_date']
        return collection_date().replace(day=1)

    @classmethod
    def default_to_date(cls):
        return Transaction().context.get('to_date') or collection_date()


class _JulianDay(Function):
    __slots__ = ()
    _function = 'JULIANDAY'


class RateMixin:
    "Collection rate and overdue ageing of the stages due in the period"
    __slots__ = ()
    company = fields.Many2One('company.company', "Company")
    currency = fields.Many2One('currency.currency', "Currency")
    amount_due = fields.Numeric(
        "Due in Period", digits=(16, 2),
        help="The target amounts of the stages due in the period.")
    amount_on_time = fields.Numeric(
        "Collected on Time", digits=(16, 2),
        help="What was collected of them by their due dates.")
    rate = fields.Function(fields.Float(
            "Collection Rate", digits=(1, 4),
            help="Collected on time ÷ due in the period (P3.5.3)."),
        'get_rate')
    overdue_0_30 = fields.Numeric("Overdue 0–30 Days", digits=(16, 2))
    overdue_31_60 = fields.Numeric("Overdue 31–60 Days", digits=(16, 2))
    overdue_61_90 = fields.Numeric("Overdue 61–90 Days", digits=(16, 2))
    overdue_90 = fields.Numeric("Overdue over 90 Days", digits=(16, 2))
    amount_overdue = fields.Numeric("Overdue", digits=(16, 2))

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('amount_due', 'DESC'), ('id', 'ASC')]

    @classmethod
    def _joins(cls, stage, plan):
        "The stages joined to what the group column needs"
        return stage.join(plan, condition=plan.id == stage.plan), {}

    @classmethod
    def table_query(cls):
        pool = Pool()
        Stage = pool.get('sale.collection.stage')
        Plan = pool.get('sale.collection.plan')
        Company = pool.get('company.company')
        stage = Stage.__table__()
        plan = Plan.__table__()
        company = Company.__table__()
        context = Transaction().context
        from_date = context.get('from_date') or dt.date.min
        to_date = context.get('to_date') or collection_date()
        query, tables = cls._joins(stage, plan)
        tables.update({'stage': stage, 'plan': plan})
        query = query.join(company, condition=company.id == plan.company)
        # the column the rates are grouped by, also the row id
        table_name, column = cls._group_by
        group = getattr(tables[table_name], column)

        open_ = stage.amount - Coalesce(stage.collected_amount, 0)
        due = (stage.due_date >= from_date) & (stage.due_date <= to_date)
        late = (stage.due_date < to_date) & (stage.state != 'collected')
        if backend.name == 'sqlite':
            # SQLite subtracts dates as text: count days by Julian day
            days = _JulianDay(to_date) - _JulianDay(stage.due_date)
        else:
            days = Literal(to_date) - stage.due_date

        def bucket(low, high=None):
            condition = late & (days >= low)
            if high is not None:
                condition &= days <= high
            return Sum(Case((condition, open_), else_=0))

        where = (plan.state != 'cancelled') & (due | late)
        if context.get('company'):
            where &= plan.company == context['company']
        return query.select(
            group.as_('id'),
            group.as_(column),
            Max(plan.company).as_('company'),
            Max(company.currency).as_('currency'),
            Sum(Case((due, stage.amount), else_=0)).as_('amount_due'),
            Sum(Case((due, Coalesce(stage.collected_on_time, 0)),
                    else_=0)).as_('amount_on_time'),
            bucket(0, 30).as_('overdue_0_30'),
            bucket(31, 60).as_('overdue_31_60'),
            bucket(61, 90).as_('overdue_61_90'),
            bucket(91).as_('overdue_90'),
            Sum(Case((late, open_), else_=0)).as_('amount_overdue'),
            where=where & (group != Null),
            group_by=[group])

    @classmethod
    def get_rate(cls, records, name):
        return {r.id: float(r.amount_on_time / r.amount_due)
            if r.amount_due else None for r in records}


class RateEmployee(RateMixin, ModelSQL, ModelView):
    "Collection Rate per Salesperson"
    __name__ = 'sale.collection.rate.employee'
    __string__ = "Collection Rate per Salesperson"
    _group_by = ('stage', 'employee')
    employee = fields.Many2One('company.employee', "Salesperson")


class RateParty(RateMixin, ModelSQL, ModelView):
    "Collection Rate per Customer"
    __name__ = 'sale.collection.rate.party'
    __string__ = "Collection Rate per Customer"
    _group_by = ('plan', 'party')
    party = fields.Many2One(
        'party.party', "Customer",
        context={'company': Eval('company', -1)}, depends={'company'})


class RateTeam(RateMixin, ModelSQL, ModelView):
    "Collection Rate per Team"
    __name__ = 'sale.collection.rate.team'
    __string__ = "Collection Rate per Team"
    _group_by = ('member', 'team')
    team = fields.Many2One('sale.team', "Team")

    @classmethod
    def _joins(cls, stage, plan):
        pool = Pool()
        Member = pool.get('sale.team.member')
        member = Member.__table__()
        query, tables = super()._joins(stage, plan)
        # the team the responsible belonged to on the due date
        query = query.join(member, 'LEFT',
            condition=(member.employee == stage.employee)
            & Member.valid_on(member, stage.due_date))
        tables['member'] = member
        return query, tables
