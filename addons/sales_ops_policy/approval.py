# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The one approval mechanism of the policy (DESIGN "One approval mechanism"):
a document goes through ordered reviewer steps; each step is decided by a
member of a group (or a named reviewer), never by the document's author."""
from collections import defaultdict
import logging
from datetime import datetime, timedelta

from sql import Literal
from sql.aggregate import Min

from trytond import backend
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, Workflow, fields,
    sequence_ordered)
from trytond.report import Report
from trytond.model.fields import SQL_OPERATORS
from trytond.modules.company.model import employee_field, set_employee
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access

from .exceptions import ApprovalError
from .model import check_not_negative, send_notifications

logger = logging.getLogger(__name__)


class Configuration(metaclass=PoolMeta):
    __name__ = 'sale.configuration'
    approval_reminder_days = fields.Integer(
        "Approval Reminder Days", required=True,
        domain=[('approval_reminder_days', '>=', 0)],
        help="Remind reviewers of the approvals waiting for them longer "
        "than these days.")

    @classmethod
    def default_approval_reminder_days(cls):
        return 2


class Step(sequence_ordered(), DeactivableMixin, ModelSQL, ModelView):
    "Approval Step"
    __name__ = 'approval.step'
    model = fields.Selection('get_documents', "Document", required=True)
    name = fields.Char(
        "Name", required=True, translate=True,
        help="Why the step is asked; the reviewers read it in their inbox.")
    minimum_amount = fields.Numeric(
        "Minimum Amount", digits=(16, 2),
        help="The step applies only to documents of at least this amount "
        "(in company currency); leave empty for every document.")
    reviewer_group = fields.Many2One(
        'res.group', "Reviewer Group", required=True, ondelete='RESTRICT',
        help="The group whose members decide the step.")
    reviewer_from = fields.Selection([
            (None, "Any Member of the Group"),
            ('supervisor', "Author's Supervisor"),
            ('field', "Employee of the Document"),
            ], "Reviewer",
        help="Name one person to decide the step; without one any member "
        "of the group decides.")
    reviewer_field = fields.Char(
        "Reviewer Field",
        states={
            'invisible': Eval('reviewer_from') != 'field',
            'required': Eval('reviewer_from') == 'field',
            },
        help="The name of the document's field holding the employee who "
        "decides.")

    @classmethod
    def get_documents(cls):
        return Pool().get('approval.request').get_documents()

    @classmethod
    def validate_fields(cls, steps, field_names):
        super().validate_fields(steps, field_names)
        cls.check_reviewer_field(steps, field_names)

    @classmethod
    def check_reviewer_field(cls, steps, field_names=None):
        if field_names and not (
                field_names & {'model', 'reviewer_from', 'reviewer_field'}):
            return
        pool = Pool()
        for step in steps:
            if step.reviewer_from != 'field':
                continue
            field = pool.get(step.model)._fields.get(step.reviewer_field)
            if (getattr(field, 'model_name', None) != 'company.employee'
                    or field._type != 'many2one'):
                raise ApprovalError(gettext(
                        'sales_ops_policy.msg_approval_step_field',
                        step=step.rec_name, field=step.reviewer_field))
        check_not_negative(steps, 'minimum_amount')

    def applies_to(self, document):
        if self.minimum_amount is None:
            return True
        amount = document.approval_amount()
        return amount is None or amount >= self.minimum_amount

    def get_reviewer(self, document):
        "The employee named to decide the step of document"
        if self.reviewer_from == 'supervisor':
            return document.employee.supervisor if document.employee else None
        elif self.reviewer_from == 'field':
            return getattr(document, self.reviewer_field)


class Request(Workflow, ModelSQL, ModelView):
    "Approval Request"
    __name__ = 'approval.request'
    __string__ = "Approval Request"
    _states = {'readonly': Eval('state') != 'waiting'}

    document = fields.Reference(
        "Document", selection='get_documents', required=True, readonly=True)
    company = fields.Many2One(
        'company.company', "Company", required=True, readonly=True)
    employee = fields.Many2One(
        'company.employee', "Requested By", readonly=True,
        help="The author of the document, who may not decide.")
    sequence = fields.Integer(
        "Step", readonly=True,
        help="Steps are decided in order, the lowest first.")
    reason = fields.Char("Reason", readonly=True, required=True)
    reviewer_group = fields.Many2One(
        'res.group', "Reviewer Group", readonly=True,
        help="Any member of the group may decide the step.")
    step = fields.Many2One(
        'approval.step', "Configured Step", readonly=True,
        ondelete='RESTRICT',
        help="The configured step the request comes from, if any.")
    reviewer = fields.Many2One(
        'company.employee', "Reviewer", readonly=True,
        help="The person named to decide the step (the author's "
        "supervisor for instance).")
    comment = fields.Text(
        "Comment", states=_states,
        help="Required to reject.")
    decided_by = employee_field(
        "Decided By", states=['approved', 'rejected', 'cancelled'])
    decided_at = fields.Timestamp("Decided At", readonly=True)
    state = fields.Selection([
            ('waiting', "Waiting"),
            ('approved', "Approved"),
            ('rejected', "Rejected"),
            ('cancelled', "Cancelled"),
            ], "State", readonly=True, required=True, sort=False)
    state_string = state.translated('state')
    to_decide = fields.Function(
        fields.Boolean(
            "To Decide", help="Waiting for a decision of the user."),
        'get_to_decide', searcher='search_to_decide')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('create_date', 'DESC'), ('sequence', 'ASC'), ('id', 'DESC')]
        cls._transitions |= {
            ('waiting', 'approved'),
            ('waiting', 'rejected'),
            ('waiting', 'cancelled'),
            ('approved', 'cancelled'),
            }
        cls._buttons.update({
                'approve': {
                    'invisible': Eval('state') != 'waiting',
                    'depends': ['state'],
                    },
                'reject': {
                    'invisible': Eval('state') != 'waiting',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'waiting'

    @classmethod
    def default_sequence(cls):
        return 10

    @classmethod
    def get_documents(cls):
        pool = Pool()
        Model = pool.get('ir.model')
        models = [n for n, k in pool.iterobject()
            if issubclass(k, ApprovalMixin)]
        return [(None, '')] + [
            (m, Model.get_name(m)) for m in sorted(models)]

    def get_rec_name(self, name):
        return f'{self.document.rec_name if self.document else ""}: ' \
            f'{self.reason}'

    @classmethod
    def _waiting_first_steps(cls, requests=None):
        """The waiting requests whose earlier steps are all approved,
        among the documents of requests (all when None)"""
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        where = table.state == 'waiting'
        if requests is not None:
            documents = list({str(r.document) for r in requests}) or ['']
            where &= SQL_OPERATORS['in'](table.document, documents)
        first = table.select(
            table.document, Min(table.sequence).as_('sequence'),
            where=where, group_by=[table.document])
        query = table.join(first, condition=(
                (table.document == first.document)
                & (table.sequence == first.sequence))
            ).select(table.id, where=table.state == 'waiting')
        cursor.execute(*query)
        return {i for i, in cursor}

    @classmethod
    def _user_can_review(cls, requests):
        "The requests the user may decide as reviewer, author excluded"
        pool = Pool()
        User = pool.get('res.user')
        groups = set(User.get_groups())
        employees = set(User.get_employees())
        return {r.id for r in requests
            if (r.employee is None or r.employee.id not in employees)
            and ((r.reviewer and r.reviewer.id in employees)
                or (not r.reviewer and r.reviewer_group
                    and r.reviewer_group.id in groups))}

    @classmethod
    def get_to_decide(cls, requests, name):
        firsts = cls._waiting_first_steps(requests)
        allowed = cls._user_can_review(
            [r for r in requests if r.id in firsts])
        return {r.id: r.id in allowed for r in requests}

    @classmethod
    def search_to_decide(cls, name, clause):
        pool = Pool()
        User = pool.get('res.user')
        _, operator, value = clause
        firsts = cls._waiting_first_steps()
        employees = list(User.get_employees()) or [-1]
        candidates = cls.search([
                ('id', 'in', list(firsts)),
                ['OR',
                    ('reviewer', 'in', employees),
                    [('reviewer', '=', None),
                        ('reviewer_group', 'in', list(User.get_groups()))],
                    ],
                ['OR',
                    ('employee', '=', None),
                    ('employee', 'not in', employees),
                    ],
                ])
        ids = [r.id for r in candidates]
        if (operator == '=') == bool(value):
            return [('id', 'in', ids)]
        return [('id', 'not in', ids)]

    @classmethod
    def check_decidable(cls, requests):
        """Only waiting steps, by the reviewer, never the author, and steps
        in order"""
        firsts = cls._waiting_first_steps(requests)
        allowed = cls._user_can_review(requests)
        for request in requests:
            if request.state != 'waiting':
                raise ApprovalError(gettext(
                        'sales_ops_policy.msg_approval_decided',
                        request=request.rec_name,
                        state=request.state_string))
            if request.id not in allowed:
                raise ApprovalError(gettext(
                        'sales_ops_policy.msg_approval_not_reviewer',
                        request=request.rec_name))
            if request.id not in firsts:
                raise ApprovalError(gettext(
                        'sales_ops_policy.msg_approval_step_order',
                        request=request.rec_name))

    @classmethod
    @ModelView.button
    @set_employee('decided_by')
    def approve(cls, requests):
        # of two reviewers deciding at once, the second finds it decided
        cls.lock(requests)
        requests = cls.browse(requests)
        cls.check_decidable(requests)
        for Model, model_requests in cls._by_document_model(requests):
            Model.check_approval(model_requests)
        # the state first: the documents read it when notified
        cls.write(requests, {'state': 'approved', 'decided_at': _now()})
        cls._notify_documents(requests)

    @classmethod
    @ModelView.button
    @set_employee('decided_by')
    def reject(cls, requests):
        cls.lock(requests)
        requests = cls.browse(requests)
        cls.check_decidable(requests)
        for request in requests:
            if not (request.comment or '').strip():
                raise ApprovalError(gettext(
                        'sales_ops_policy.msg_approval_reject_comment',
                        request=request.rec_name))
        cls.write(requests, {'state': 'rejected', 'decided_at': _now()})
        # one rejected step ends the round: the other steps are moot
        cls.cancel(cls.search([
                    ('document', 'in', [str(r.document) for r in requests]),
                    ('state', '=', 'waiting'),
                    ]))
        cls._notify_documents(requests)

    @classmethod
    def cancel(cls, requests):
        """Withdraw the open and approved requests when the document goes
        back to draft: what is approved then may change"""
        to_cancel = [r for r in requests if r.state in {'waiting', 'approved'}]
        if to_cancel:
            cls.write(to_cancel, {'state': 'cancelled'})

    @classmethod
    def _by_document_model(cls, requests):
        "The requests grouped by the model of their document"
        by_model = defaultdict(list)
        for request in requests:
            by_model[request.document.__class__].append(request)
        return by_model.items()

    @classmethod
    def _notify_documents(cls, requests):
        for Model, model_requests in cls._by_document_model(requests):
            Model.approval_decided(
                list({r.document for r in model_requests}))

    @classmethod
    def check_modification(cls, mode, requests, values=None, external=False):
        super().check_modification(
            mode, requests, values=values, external=external)
        if mode == 'delete':
            for request in requests:
                if request.state != 'waiting':
                    raise ApprovalError(gettext(
                            'sales_ops_policy.msg_approval_delete_decided',
                            request=request.rec_name))

    @classmethod
    def send_reminders(cls):
        """Remind each reviewer of the steps waiting for them longer than
        the configured days, through the notification e-mail
        "approval_reminder_email" of this module"""
        pool = Pool()
        Configuration = pool.get('sale.configuration')
        ModelData = pool.get('ir.model.data')
        NotificationEmail = pool.get('notification.email')
        User = pool.get('res.user')
        UserGroup = pool.get('res.user-res.group')
        transaction = Transaction()
        try:
            notification = NotificationEmail(ModelData.get_id(
                    'sales_ops_policy', 'approval_reminder_email'))
        except KeyError:
            logger.warning("approval reminder e-mail notification missing")
            return
        days = Configuration(1).approval_reminder_days or 0
        domain = [
            ('id', 'in', list(cls._waiting_first_steps())),
            ('create_date', '<', _now() - timedelta(days=days)),
            ]
        if transaction.context.get('company'):
            # the cron runs once per company
            domain.append(('company', '=', transaction.context['company']))
        requests = cls.search(domain, order=[('create_date', 'ASC')])

        named, by_group = defaultdict(set), defaultdict(set)
        for request in requests:
            if request.reviewer:
                named[request.reviewer.id].add(request)
            elif request.reviewer_group:
                by_group[request.reviewer_group.id].add(request)
        to_remind = defaultdict(set)
        if named:
            for user in User.search([('employees', 'in', list(named))]):
                for employee in user.employees:
                    to_remind[user.id] |= named.get(employee.id, set())
        if by_group:
            user_group = UserGroup.user_group_all_table()
            cursor = transaction.connection.cursor()
            cursor.execute(*user_group.select(
                    user_group.user, user_group.group,
                    where=SQL_OPERATORS['in'](
                        user_group.group, list(by_group))))
            for user_id, group_id in cursor:
                to_remind[user_id] |= by_group[group_id]
        users = User.browse(list(to_remind))
        reminded = {}
        for user in users:
            # the author never decides their own document
            employees = {e.id for e in user.employees}
            ids = tuple(sorted(r.id for r in to_remind[user.id]
                    if not r.employee or r.employee.id not in employees))
            if ids:
                reminded[user] = ids
        send_notifications(notification, list(reminded), lambda user: {
                'approval_requests': reminded[user],
                })


def _now():
    return datetime.now()


class ApprovalMixin:
    "A document that needs approval steps before it goes on"
    __slots__ = ()
    approvals = fields.One2Many(
        'approval.request', 'document', "Approvals", readonly=True)
    approval_state = fields.Function(fields.Selection([
                (None, ""),
                ('waiting', "Waiting for Approval"),
                ('approved', "Approved"),
                ('rejected', "Rejected"),
                ], "Approval"),
        'get_approval_state')

    @classmethod
    def get_approval_state(cls, documents, name):
        """Waiting while a step waits, else the latest decision; one query
        for all documents"""
        pool = Pool()
        Request = pool.get('approval.request')
        table = Request.__table__()
        cursor = Transaction().connection.cursor()
        result = dict.fromkeys(map(int, documents))
        refs = {f'{cls.__name__},{d.id}': d.id for d in documents}
        for sub in grouped_slice(list(refs), backend.MAX_QUERY_PARAMS):
            cursor.execute(*table.select(
                    table.document, table.state,
                    where=SQL_OPERATORS['in'](table.document, list(sub))
                    & (table.state != Literal('cancelled')),
                    order_by=[table.id.asc]))
            for document, state in cursor:
                id_ = refs[document]
                if result[id_] != 'waiting':
                    result[id_] = state
        return result

    @classmethod
    def request_approvals(cls, steps):
        """Create the approval requests of documents.
        steps: list of (document, sequence, reason, group, reviewer) and
        optionally the configured step"""
        pool = Pool()
        Request = pool.get('approval.request')
        return Request.create([{
                    'document': str(document),
                    'company': document.company.id,
                    'employee': (
                        document.approval_author().id
                        if document.approval_author() else None),
                    'sequence': sequence,
                    'reason': reason,
                    'reviewer_group': group.id if group else None,
                    'reviewer': reviewer.id if reviewer else None,
                    'step': step[0].id if step else None,
                    } for document, sequence, reason, group, reviewer, *step
                in steps])

    @classmethod
    def cancel_approvals(cls, documents):
        pool = Pool()
        Request = pool.get('approval.request')
        Request.cancel([r for d in documents for r in d.approvals])

    def approval_amount(self):
        "The amount the configured steps compare to their minimum"
        return None

    def approval_author(self):
        "The employee who may not decide the document's steps"
        return self.employee

    @classmethod
    def request_configured_approvals(cls, documents):
        """Request the steps configured for the documents and return those
        for which no step applies"""
        pool = Pool()
        Step = pool.get('approval.step')
        steps = Step.search([('model', '=', cls.__name__)])
        to_request, free = [], []
        for document in documents:
            document_steps = [
                (document, step.sequence, step.name, step.reviewer_group,
                    step.get_reviewer(document), step)
                for step in steps if step.applies_to(document)]
            if document_steps:
                to_request.extend(document_steps)
            else:
                free.append(document)
        if to_request:
            cls.request_approvals(to_request)
        return free

    @classmethod
    def check_approval(cls, requests):
        "Raise an error when a step of the document may not be approved yet"

    @classmethod
    def approval_decided(cls, documents):
        "Called when steps of the documents were approved or rejected"


class SubmittedMixin(ApprovalMixin):
    """A document its author submits to the approval steps: decided by
    neither its author nor whoever submitted it, sent back to draft when
    rejected, approved when every step is"""
    __slots__ = ()
    # the state the document waits for its steps in, and who put it there
    _review_state = 'submitted'
    _submitter_field = 'submitted_by'

    @classmethod
    def approval_decided(cls, documents):
        super().approval_decided(documents)
        waiting = [d for d in cls.browse(documents)
            if d.state == cls._review_state]
        approved = [d for d in waiting if d.approval_state == 'approved']
        # the reviewer moves the document on, not by the author's buttons
        with without_check_access():
            cls.draft([d for d in waiting if d.approval_state == 'rejected'])
            cls.approve(approved)
        return approved

    @classmethod
    def submit_proposed(cls, documents):
        """Save the documents a task proposed and submit them to their
        steps with nobody as submitter: any reviewer may decide them"""
        cls.save(documents)
        cls.write(documents, {
                'state': cls._review_state,
                'submitted_at': _now(),
                })
        free = cls.request_configured_approvals(documents)
        with without_check_access():
            cls.approve(free)
        return documents

    @classmethod
    def check_approval(cls, requests):
        "Who submitted for someone else does not decide it either"
        pool = Pool()
        User = pool.get('res.user')
        super().check_approval(requests)
        employees = set(User.get_employees())
        for request in requests:
            submitter = getattr(request.document, cls._submitter_field)
            if submitter and submitter.id in employees:
                raise ApprovalError(gettext(
                        'sales_ops_policy.msg_approval_submitter',
                        document=request.document.rec_name))


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.extend([
                ('approval.request|send_reminders',
                    "Send Approval Reminders"),
                ])


class ReminderReport(Report):
    "The approvals waiting for a reviewer"
    __name__ = 'approval.request.reminder'

    @classmethod
    def get_context(cls, records, header, data):
        pool = Pool()
        Request = pool.get('approval.request')
        context = super().get_context(records, header, data)
        ids = Transaction().context.get('approval_requests')
        if ids is None:
            # printed outside the cron: what the user may decide now
            requests = Request.search(
                [('to_decide', '=', True)], order=[('create_date', 'ASC')])
        else:
            requests = Request.browse(ids)
        context['requests'] = requests
        context['now'] = _now()
        return context
