# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Follow-up log of customer contacts (policy P3.1.3)"
import datetime as dt
import logging
from collections import defaultdict

from sql import Literal, Null
from sql.conditionals import Coalesce

from trytond import backend
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.model.fields import SQL_OPERATORS
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, If
from trytond.report import Report
from trytond.tools import firstline, grouped_slice
from trytond.tools import timezone as tz
from trytond.transaction import Transaction

from .exceptions import FollowUpMissingError, FollowUpValidationError
from .model import (
    query_flags, search_any, search_query_flag, send_notifications)

logger = logging.getLogger(__name__)


class Configuration(metaclass=PoolMeta):
    __name__ = 'sale.configuration'
    followup_days_class_a = fields.Integer(
        "Days to First Follow-up (Class A)",
        domain=['OR',
            ('followup_days_class_a', '=', None),
            ('followup_days_class_a', '>=', 0),
            ],
        help="A class-A lead or opportunity without any follow-up this "
        "many days after its start date needs a follow-up (P3.1.3).\n"
        "Leave empty to not flag class-A leads.")

    @classmethod
    def default_followup_days_class_a(cls):
        return 2


class FollowUp(ModelSQL, ModelView):
    "Follow-up"
    __name__ = 'sale.followup'
    __string__ = "Follow-up"
    party = fields.Many2One(
        'party.party', "Customer", required=True, ondelete='RESTRICT',
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    opportunity = fields.Many2One(
        'sale.opportunity', "Lead/Opportunity", ondelete='SET NULL',
        domain=[
            If(Eval('party'),
                ('party', '=', Eval('party', -1)),
                ()),
            ('company', '=', Eval('company', -1)),
            ],
        help="The lead or opportunity the contact was about, if any.")
    contact = fields.Many2One(
        'party.contact_mechanism', "Contact",
        domain=[('party', '=', Eval('party', -1))],
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        help="How the customer was reached.")
    date = fields.DateTime(
        "Date", required=True, help="When the customer was contacted.")
    method = fields.Selection([
            ('phone', "Phone"),
            ('email', "E-mail"),
            ('visit', "Visit"),
            ('meeting', "Meeting"),
            ('message', "Message"),
            ], "Method", required=True)
    method_string = method.translated('method')
    content = fields.Text(
        "Content", required=True, help="What was discussed.")
    feedback = fields.Text(
        "Customer Feedback", help="What the customer said or asked for.")
    next_step = fields.Char("Next Step", help="What is agreed to do next.")
    next_step_date = fields.Date(
        "Next Step Due", help="The day the next step must be done by.")
    next_step_done = fields.Boolean("Next Step Done")
    employee = fields.Many2One(
        'company.employee', "Author", required=True,
        domain=[('company', '=', Eval('company', -1))],
        states={
            # the log records who spoke to the customer; it is not reassigned
            'readonly': Eval('id', -1) >= 0,
            })
    company = fields.Many2One(
        'company.company', "Company", required=True,
        states={
            'readonly': Eval('id', -1) >= 0,
            })

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.party, Index.Range())),
                Index(t, (t.opportunity, Index.Range())),
                # the planned and overdue next steps
                Index(
                    t, (t.next_step_date, Index.Range()),
                    where=(t.next_step_date != Null)
                    & (t.next_step_done == Literal(False))),
                })
        cls._order = [('date', 'DESC'), ('id', 'DESC')]

    @classmethod
    def default_date(cls):
        # to the second, as the web client edits it: a default it rounds
        # changes as the form is saved, which redraws the form meanwhile and
        # saves its selections as their first option (the method as E-mail)
        return dt.datetime.now().replace(microsecond=0)

    @classmethod
    def default_method(cls):
        return 'phone'

    @classmethod
    def default_next_step_done(cls):
        return False

    @classmethod
    def default_employee(cls):
        return Transaction().context.get('employee')

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @fields.depends('opportunity', '_parent_opportunity.party')
    def on_change_opportunity(self):
        if self.opportunity and self.opportunity.party:
            self.party = self.opportunity.party

    @fields.depends('party', '_parent_party.id', 'contact')
    def on_change_party(self):
        if self.contact and self.contact.party != self.party:
            self.contact = None

    def get_rec_name(self, name):
        party = self.party.rec_name if self.party else ''
        summary = firstline(self.content or '')
        return f'{party}: {summary}' if summary else party

    @classmethod
    def search_rec_name(cls, name, clause):
        return search_any(clause, 'party.rec_name', 'content')

    @property
    def contact_day(self):
        "The day of the contact in the company's time zone"
        date = self.date
        if self.company and self.company.timezone:
            date = date.replace(tzinfo=dt.timezone.utc).astimezone(
                tz.ZoneInfo(self.company.timezone))
        return date.date()

    @classmethod
    def validate_fields(cls, followups, field_names):
        super().validate_fields(followups, field_names)
        cls.check_content(followups, field_names)
        cls.check_next_step_date(followups, field_names)

    @classmethod
    def check_content(cls, followups, field_names=None):
        "A follow-up says what was discussed (P3.1.3)"
        if field_names and 'content' not in field_names:
            return
        for followup in followups:
            if not (followup.content or '').strip():
                raise FollowUpValidationError(gettext(
                        'sales_ops_policy.msg_followup_content_empty',
                        party=followup.party.rec_name))

    @classmethod
    def check_next_step_date(cls, followups, field_names=None):
        "A next step is not due before the contact it came from (P3.1.3)"
        if field_names and not field_names & {
                'date', 'next_step_date', 'company'}:
            return
        for followup in followups:
            if (followup.next_step_date
                    and followup.next_step_date < followup.contact_day):
                raise FollowUpValidationError(gettext(
                        'sales_ops_policy.msg_followup_next_step_before_date',
                        next_step_date=followup.next_step_date,
                        date=followup.contact_day,
                        followup=followup.rec_name))


class Opportunity(metaclass=PoolMeta):
    __name__ = 'sale.opportunity'
    followups = fields.One2Many(
        'sale.followup', 'opportunity', "Follow-ups",
        domain=[
            ('company', '=', Eval('company', -1)),
            If(Eval('party'),
                ('party', '=', Eval('party', -1)),
                ()),
            ],
        states={
            # a follow-up needs the customer it was made with
            'readonly': ~Eval('party'),
            },
        help="The contacts with the customer about this lead or "
        "opportunity, newest first.")
    needs_followup = fields.Function(fields.Boolean(
            "Needs Follow-up",
            help="A class-A lead without any follow-up after the configured "
            "number of days, or a next step past due (P3.1.3)."),
        'get_needs_followup', searcher='search_needs_followup')

    @classmethod
    def copy(cls, opportunities, default=None):
        default = default.copy() if default is not None else {}
        # the contacts were about the original, not the copy
        default.setdefault('followups', None)
        return super().copy(opportunities, default=default)

    @classmethod
    def followup_date(cls):
        "The day needs-follow-up is judged on: context date or today"
        return (Transaction().context.get('date')
            or Pool().get('ir.date').today())

    @classmethod
    def _needs_followup_query(cls):
        """Return the query of the ids of the open opportunities needing a
        follow-up on the follow-up date (P3.1.3)"""
        pool = Pool()
        Configuration = pool.get('sale.configuration')
        FollowUp = pool.get('sale.followup')
        opportunity = cls.__table__()
        followup = FollowUp.__table__()
        date = cls.followup_date()

        overdue = followup.select(
            followup.opportunity,
            where=(followup.opportunity != Null)
            & (followup.next_step_date < date)
            & (Coalesce(followup.next_step_done, False) == Literal(False)))
        condition = opportunity.id.in_(overdue)

        days = Configuration(1).followup_days_class_a
        if days is not None:
            logged = followup.select(
                followup.opportunity,
                where=followup.opportunity != Null)
            condition |= (
                (opportunity.lead_class == 'A')
                & (opportunity.start_date < date - dt.timedelta(days=days))
                & ~opportunity.id.in_(logged))

        condition &= opportunity.state.in_(['lead', 'opportunity'])
        return opportunity.select(opportunity.id, where=condition)

    @classmethod
    def get_needs_followup(cls, opportunities, name):
        return query_flags(cls._needs_followup_query(), opportunities)

    @classmethod
    def search_needs_followup(cls, name, clause):
        return search_query_flag(clause, cls._needs_followup_query())

    @classmethod
    def check_followup_logged(cls, opportunities):
        """An opportunity cannot move past the lead stage without at least one
        follow-up logged on it (P3.1.3)"""
        pool = Pool()
        FollowUp = pool.get('sale.followup')
        followup = FollowUp.__table__()
        cursor = Transaction().connection.cursor()
        missing = {o.id: o for o in opportunities}
        for sub_ids in grouped_slice(
                list(missing), backend.MAX_QUERY_PARAMS):
            cursor.execute(*followup.select(
                    followup.opportunity,
                    where=SQL_OPERATORS['in'](
                        followup.opportunity, list(sub_ids)),
                    group_by=[followup.opportunity]))
            for opportunity_id, in cursor:
                missing.pop(opportunity_id, None)
        if missing:
            names = sorted(f'"{o.rec_name}"' for o in missing.values())
            if len(names) > 5:
                names = names[:5] + ['…']
            raise FollowUpMissingError(gettext(
                    'sales_ops_policy.msg_followup_required',
                    opportunities=', '.join(names)))

    @classmethod
    def opportunity(cls, opportunities):
        cls.check_followup_logged(
            [o for o in opportunities if o.state == 'lead'])
        super().opportunity(opportunities)

    @classmethod
    def convert(cls, opportunities):
        # won or lost opportunities come back to converted with their sales
        cls.check_followup_logged(
            [o for o in opportunities if o.state in {'lead', 'opportunity'}])
        return super().convert(opportunities)

    @classmethod
    def send_followup_reminders(cls):
        """Send each owner one e-mail listing their opportunities that need
        a follow-up (P3.1.3), through the notification e-mail
        "followup_reminder_email" of this module"""
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        NotificationEmail = pool.get('notification.email')
        User = pool.get('res.user')
        transaction = Transaction()

        try:
            notification = NotificationEmail(ModelData.get_id(
                    'sales_ops_policy', 'followup_reminder_email'))
        except KeyError:
            logger.warning("follow-up reminder e-mail notification missing")
            return

        domain = [
            ('needs_followup', '=', True),
            ('employee', '!=', None),
            ]
        if transaction.context.get('company'):
            # the cron runs once per company
            domain.append(('company', '=', transaction.context['company']))
        opportunities = cls.search(
            domain, order=[('start_date', 'ASC'), ('id', 'ASC')])
        by_employee = defaultdict(list)
        for opportunity in opportunities:
            by_employee[opportunity.employee.id].append(opportunity.id)
        if not by_employee:
            return
        users = User.search([('employees', 'in', list(by_employee))])

        # the report lists the opportunities given in the context
        send_notifications(notification, users, lambda user: {
                'followup_opportunities': tuple(sorted({
                            i for e in user.employees
                            for i in by_employee.get(e.id, [])})),
                })


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'
    followups = fields.One2Many(
        'sale.followup', 'party', "Follow-ups",
        help="The follow-up history with the customer, newest first.")

    @classmethod
    def copy(cls, parties, default=None):
        default = default.copy() if default is not None else {}
        # the history belongs to the original customer
        default.setdefault('followups', None)
        return super().copy(parties, default=default)


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.extend([
                ('sale.opportunity|send_followup_reminders',
                    "Send Follow-up Reminders"),
                ])


class ReminderReport(Report):
    "The follow-up reminder of a user (P3.1.3)"
    __name__ = 'sale.followup.reminder'

    @classmethod
    def get_context(cls, records, header, data):
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        FollowUp = pool.get('sale.followup')
        context = super().get_context(records, header, data)
        date = Opportunity.followup_date()
        ids = Transaction().context.get('followup_opportunities')
        if ids is None:
            # printed outside the cron: the users' own opportunities
            opportunities = Opportunity.search([
                    ('needs_followup', '=', True),
                    ('employee', 'in', [
                            e.id for u in records for e in u.employees]),
                    ], order=[('start_date', 'ASC'), ('id', 'ASC')])
        else:
            opportunities = Opportunity.browse(ids)
        overdue = defaultdict(list)
        for followup in FollowUp.search([
                    ('opportunity', 'in', [o.id for o in opportunities]),
                    ('next_step_date', '<', date),
                    ('next_step_done', '=', False),
                    ], order=[('next_step_date', 'ASC')]):
            overdue[followup.opportunity].append(followup)
        context['opportunities'] = opportunities
        context['overdue'] = overdue
        context['today'] = date
        return context
