# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt
import logging

from sql.conditionals import Coalesce

import trytond.config as config
from trytond import backend
from trytond.i18n import gettext
from trytond.model import fields
from trytond.model.exceptions import ValidationError
from trytond.model.fields import SQL_OPERATORS
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.sendmail import SMTPDataManager, send_message_transactional
from trytond.tools import grouped_slice
from trytond.tools.email_ import has_rcpt
from trytond.transaction import Transaction, without_check_access

logger = logging.getLogger(__name__)


class ValidityMixin:
    "Valid from a start date until an optional end date"
    __slots__ = ()
    start_date = fields.Date(
        "Start Date", required=True,
        domain=[
            If(Eval('end_date'),
                ('start_date', '<=', Eval('end_date')),
                ()),
            ])
    end_date = fields.Date(
        "End Date",
        domain=[
            If(Eval('start_date') & Eval('end_date'),
                ('end_date', '>=', Eval('start_date')),
                ()),
            ],
        help="Leave empty while it is still valid.")
    current = fields.Function(
        fields.Boolean("Current", help="Valid on the day."),
        'on_change_with_current', searcher='search_current')

    @classmethod
    def default_start_date(cls):
        return Pool().get('ir.date').today()

    @classmethod
    def validity_date(cls):
        "The day the validity is judged on: context date or today"
        return (Transaction().context.get('date')
            or Pool().get('ir.date').today())

    @classmethod
    def valid_on(cls, table, date):
        "SQL condition that the row of table is valid on date"
        return ((table.start_date <= date)
            & (Coalesce(table.end_date, dt.date.max) >= date))

    @fields.depends('start_date', 'end_date')
    def on_change_with_current(self, name=None):
        return ((self.start_date or dt.date.min)
            <= self.validity_date() <= (self.end_date or dt.date.max))

    @classmethod
    def search_current(cls, name, clause):
        _, operator, value = clause
        date = cls.validity_date()
        if (operator == '=') == bool(value):
            return [
                ('start_date', '<=', date),
                ['OR',
                    ('end_date', '=', None),
                    ('end_date', '>=', date),
                    ],
                ]
        return ['OR',
            ('start_date', '>', date),
            ('end_date', '<', date),
            ]


def readable_query(model_name):
    """The query of the records of model_name the record rules let the user
    read (own, team, all: P2), None when no rule restricts them

    The access to the model is not checked: the analyses are read by groups
    that do not read the records they add up (finance, administrators)."""
    pool = Pool()
    Rule = pool.get('ir.rule')
    Model = pool.get(model_name)
    domain = Rule.domain_get(model_name, mode='read')
    if not domain:
        return None
    with without_check_access():
        return Model.search(domain, order=[], query=True)


def readable_where(model_name, table):
    """The condition on table (of model_name) that the record rules let the
    user read its row, None when no rule restricts them: as readable_query
    but on the table itself when the rules need no other table, so that
    the rows are not looked up again in a subquery"""
    pool = Pool()
    Rule = pool.get('ir.rule')
    Model = pool.get(model_name)
    domain = Rule.domain_get(model_name, mode='read')
    if not domain:
        return None
    with without_check_access():
        tables, expression = Model.search_domain(
            domain, active_test=False, tables={None: (table, None)})
    if len(tables) > 1:
        return table.id.in_(readable_query(model_name))
    return expression


def search_any(clause, *names):
    """Domain matching clause on any of the fields, or on none of them for
    a negative operator"""
    operator = clause[1]
    bool_op = 'AND' if operator.startswith(('!', 'not ')) else 'OR'
    return [bool_op, *((name, *clause[1:]) for name in names)]


def query_flags(query, records):
    """A Boolean per record: whether the query returns its id (in column
    "id"), one query per slice of ids"""
    cursor = Transaction().connection.cursor()
    result = dict.fromkeys(map(int, records), False)
    for sub in grouped_slice(list(result), backend.MAX_QUERY_PARAMS):
        cursor.execute(*query.select(query.id,
                where=SQL_OPERATORS['in'](query.id, list(sub))))
        result.update((i, True) for i, in cursor)
    return result


def search_query_flag(clause, query):
    "Domain of a Boolean clause true for the ids the query returns"
    _, operator, value = clause
    if operator not in {'=', '!='}:
        raise ValueError(f"Unsupported operator {operator!r}")
    positive = (operator == '=') == bool(value)
    return [('id', 'in' if positive else 'not in', query)]


def check_not_negative(records, *names):
    "Refuse a negative amount in any of the fields names of records"
    for record in records:
        for name in names:
            value = getattr(record, name)
            if value is not None and value < 0:
                raise ValidationError(gettext(
                        'sales_ops_policy.msg_negative_amount',
                        field=record.__names__(name)['field'],
                        record=record.rec_name))


def check_satisfaction(records, name='satisfaction'):
    "Refuse a satisfaction outside 1 to 5 in the field name of records"
    for record in records:
        value = getattr(record, name)
        if value is not None and not 1 <= value <= 5:
            raise ValidationError(gettext(
                    'sales_ops_policy.msg_satisfaction_range',
                    value=value, record=record.rec_name))


def notify_employees(xml_id, by_employee, key):
    """E-mail the users of each employee (id) of by_employee the records
    (ids) it lists, through the notification e-mail xml_id of this module;
    the report reads the ids of its user from the context key"""
    pool = Pool()
    ModelData = pool.get('ir.model.data')
    NotificationEmail = pool.get('notification.email')
    User = pool.get('res.user')
    if not by_employee:
        return []
    try:
        notification = NotificationEmail(
            ModelData.get_id('sales_ops_policy', xml_id))
    except KeyError:
        logger.warning("notification e-mail %s missing", xml_id)
        return []
    users = User.search([('employees', 'in', list(by_employee))])
    return send_notifications(notification, users, lambda user: {
            key: tuple(sorted({
                        i for e in user.employees
                        for i in by_employee.get(e.id, [])})),
            })


def send_notifications(notification, users, context):
    """Send the notification e-mail to each user with the context of the
    user (context(user) is a dict the report reads) and log each e-mail"""
    pool = Pool()
    Email = pool.get('ir.email')
    transaction = Transaction()
    datamanager = SMTPDataManager()
    transaction.join(datamanager)
    from_ = (config.get('notification_email', 'from')
        or config.get('email', 'from'))
    emails = []
    for user in users:
        with transaction.set_context(context(user)):
            to, to_languages = notification._get_to(user)
            cc, cc_languages = notification._get_cc(user)
            bcc, bcc_languages = notification._get_bcc(user)
            languages = to_languages | cc_languages | bcc_languages
            msg = notification.get_email(user, from_, to, cc, bcc, languages)
        if has_rcpt(msg):
            send_message_transactional(msg, datamanager=datamanager)
            emails.append(Email.from_message(
                    msg, resource=user, notification_email=notification))
        else:
            logger.info(
                "no e-mail address for %s to %s",
                notification.rec_name, user.login)
    Email.save(emails)
    return emails
