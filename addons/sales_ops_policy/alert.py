# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Problem finding (P5.2.2): a daily task compares the analyses of the last
period with the period before and keeps an alert for each fall past the
thresholds of the configuration — a salesperson's or a team's revenue, a
customer drifting away, a channel's conversion, a segment's market share —
naming the cause and linking to the records behind it; the owners and their
supervisors hear of the new alerts by e-mail."""
import datetime as dt
from collections import defaultdict

from dateutil.relativedelta import relativedelta
from sql import Null
from sql.operators import Or

from trytond import backend
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.model.fields import SQL_OPERATORS
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.report import Report
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from .approval import _now
from .collection import _decimal
from .exceptions import AlertError
from .model import notify_employees, search_any

KINDS = [
    ('revenue', "Revenue Fall"),
    ('silence', "No Recent Order"),
    ('spend', "Falling Spend"),
    ('conversion', "Conversion Fall"),
    ('share', "Market Share Loss"),
    ]
# the fields naming what an alert is about: one open alert for each
KEY_FIELDS = ['kind', 'employee', 'team', 'party', 'channel', 'market_size']
# the customers' usual interval is measured over at least this many days
HISTORY_DAYS = 365


def _threshold(name, string, help, type_=fields.Integer, **kwargs):
    "An optional positive threshold of an alert"
    return type_(string,
        domain=['OR', (name, '=', None), (name, '>', 0)],
        help=help + "\nLeave empty for no alert.", **kwargs)


class Configuration(metaclass=PoolMeta):
    __name__ = 'sale.configuration'
    alert_revenue_fall = _threshold('alert_revenue_fall',
        "Revenue Fall (%)",
        "A salesperson or a team whose revenue of the last month fell by "
        "this percentage or more from the month before gets an alert.")
    alert_churn_days = _threshold('alert_churn_days',
        "Days without Order",
        "A customer who usually orders more often than this and has not "
        "ordered for this many days gets an alert; the spend of these last "
        "days is also compared with the days before.")
    alert_spend_fall = _threshold('alert_spend_fall',
        "Spend Fall (%)",
        "A customer whose spend over the days without order fell by this "
        "percentage or more from the days before gets an alert.")
    alert_conversion_fall = _threshold('alert_conversion_fall',
        "Conversion Fall (Points)",
        "A channel whose win rate of the leads of the last month (won of "
        "those won or lost) fell by this many percentage points from the "
        "month before gets an alert.")
    alert_share_loss = _threshold('alert_share_loss',
        "Market Share Loss (Points)",
        "A market segment whose share fell by this many percentage points "
        "from its previous entry gets an alert.",
        type_=fields.Numeric, digits=(16, 2))

    @classmethod
    def default_alert_revenue_fall(cls):
        return 20

    @classmethod
    def default_alert_churn_days(cls):
        return 90

    @classmethod
    def default_alert_spend_fall(cls):
        return 50

    @classmethod
    def default_alert_conversion_fall(cls):
        return 10

    @classmethod
    def default_alert_share_loss(cls):
        return 1


class Alert(Workflow, ModelSQL, ModelView):
    "Sales Alert"
    __name__ = 'sale.analysis.alert'
    __string__ = "Sales Alert"
    company = fields.Many2One(
        'company.company', "Company", required=True, readonly=True)
    kind = fields.Selection(
        KINDS, "Kind", required=True, readonly=True, sort=False)
    kind_string = kind.translated('kind')
    date = fields.Date(
        "Date", required=True, readonly=True,
        help="The day the fall was found.")
    period_start = fields.Date(
        "Period Start", required=True, readonly=True,
        help="The first day of the period measured.")
    period_end = fields.Date(
        "Period End", required=True, readonly=True,
        help="The last day of the period measured.")
    compared_start = fields.Date(
        "Compared from", required=True, readonly=True,
        help="The first day of the period compared with.")
    compared_end = fields.Date(
        "Compared to", required=True, readonly=True,
        help="The last day of the period compared with.")
    employee = fields.Many2One(
        'company.employee', "Salesperson", readonly=True,
        ondelete='CASCADE',
        help="The salesperson whose revenue fell or who looks after the "
        "customer.")
    team = fields.Many2One(
        'sale.team', "Team", readonly=True, ondelete='CASCADE',
        help="The team whose revenue fell, else the team of the "
        "salesperson.")
    party = fields.Many2One(
        'party.party', "Customer", readonly=True, ondelete='CASCADE',
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    channel = fields.Many2One(
        'sale.lead.channel', "Channel", readonly=True, ondelete='CASCADE')
    market_size = fields.Many2One(
        'sale.market.size', "Market Size", readonly=True,
        ondelete='CASCADE',
        help="The market size entry whose share fell.")
    previous = fields.Float(
        "Before", digits=(16, 2), readonly=True,
        help="The figure of the period compared with: revenue, spend, "
        "conversion or share in %, or the usual days between orders.")
    current = fields.Float(
        "Now", digits=(16, 2), readonly=True,
        help="The figure of the period measured: revenue, spend, "
        "conversion or share in %, or the days since the last order.")
    change = fields.Float(
        "Change", digits=(16, 2), readonly=True,
        help="The fall in % of the figure before, in percentage points for "
        "rates and shares, in days for an order overdue.")
    cause = fields.Function(fields.Char("Cause"), 'get_cause')
    orders = fields.Function(fields.Many2Many(
            'sale.sale', None, None, "Orders",
            help="The confirmed orders of both periods behind the figures."),
        'get_orders')
    opportunities = fields.Function(fields.Many2Many(
            'sale.opportunity', None, None, "Leads",
            help="The channel's leads of both periods."),
        'get_opportunities')
    notified = fields.Timestamp(
        "Notified", readonly=True,
        help="When the owners and their supervisors were e-mailed.")
    state = fields.Selection([
            ('open', "Open"),
            ('closed', "Closed"),
            ], "State", required=True, readonly=True, sort=False)
    action = fields.Text(
        "Action Taken",
        states={
            'readonly': Eval('state') != 'open',
            'required': Eval('state') == 'closed',
            },
        help="What was done about it: visit, plan, price, training…")
    closed_by = fields.Many2One('res.user', "Closed by", readonly=True)
    closed_date = fields.Timestamp("Closed on", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('kind', 'ASC'), ('id', 'DESC')]
        t = cls.__table__()
        cls._sql_indexes.add(Index(t,
                (t.company, Index.Equality()),
                (t.state, Index.Equality(cardinality='low')),
                where=t.state == 'open'))
        cls._transitions |= {
            ('open', 'closed'),
            ('closed', 'open'),
            }
        cls._buttons.update({
                'close': {
                    'invisible': Eval('state') != 'open',
                    'depends': ['state'],
                    },
                'reopen': {
                    'invisible': Eval('state') != 'closed',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'open'

    def get_cause(self, name):
        lang = Pool().get('ir.lang').get()

        def number(value, digits=0):
            return lang.format_number(abs(value or 0), digits)
        return gettext(f'sales_ops_policy.msg_alert_cause_{self.kind}',
            previous=number(self.previous, 2 if self.kind in {
                    'conversion', 'share'} else 0),
            current=number(self.current, 2 if self.kind in {
                    'conversion', 'share'} else 0),
            change=number(self.change, 1),
            days=number((self.period_end - self.period_start).days + 1))

    def get_rec_name(self, name):
        return self.cause

    @classmethod
    def search_rec_name(cls, name, clause):
        return search_any(clause, 'employee.rec_name', 'team.rec_name',
            'party.rec_name', 'channel.rec_name', 'market_size.rec_name')

    @classmethod
    def get_orders(cls, alerts, name):
        pool = Pool()
        Sale = pool.get('sale.sale')
        Member = pool.get('sale.team.member')
        alert = cls.__table__()
        sale = Sale.__table__()
        member = Member.__table__()
        cursor = Transaction().connection.cursor()
        result = {a.id: [] for a in alerts}
        for sub_ids in grouped_slice(list(result), backend.MAX_QUERY_PARAMS):
            cursor.execute(*alert.join(sale,
                    condition=(sale.company == alert.company)
                    & (sale.sale_date >= alert.compared_start)
                    & (sale.sale_date <= alert.period_end)
                    & sale.state.in_(['confirmed', 'processing', 'done'])
                    ).join(member, 'LEFT',
                    condition=(member.employee == sale.employee)
                    & Member.valid_on(member, sale.sale_date)
                    ).select(alert.id, sale.id,
                    where=SQL_OPERATORS['in'](alert.id, list(sub_ids))
                    & Or([
                            (alert.kind == 'revenue')
                            & (sale.employee == alert.employee),
                            (alert.kind == 'revenue')
                            & (alert.employee == Null)
                            & (member.team == alert.team),
                            alert.kind.in_(['silence', 'spend'])
                            & (sale.party == alert.party),
                            ]),
                    order_by=[sale.sale_date.desc, sale.id.desc]))
            for alert_id, sale_id in cursor:
                result[alert_id].append(sale_id)
        return result

    @classmethod
    def get_opportunities(cls, alerts, name):
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        alert = cls.__table__()
        opportunity = Opportunity.__table__()
        cursor = Transaction().connection.cursor()
        result = {a.id: [] for a in alerts}
        for sub_ids in grouped_slice(list(result), backend.MAX_QUERY_PARAMS):
            cursor.execute(*alert.join(opportunity,
                    condition=(opportunity.company == alert.company)
                    & (opportunity.channel == alert.channel)
                    & (opportunity.start_date >= alert.compared_start)
                    & (opportunity.start_date <= alert.period_end)
                    ).select(alert.id, opportunity.id,
                    where=SQL_OPERATORS['in'](alert.id, list(sub_ids))
                    & (alert.kind == 'conversion'),
                    order_by=[opportunity.start_date.desc,
                        opportunity.id.desc]))
            for alert_id, opportunity_id in cursor:
                result[alert_id].append(opportunity_id)
        return result

    @classmethod
    @ModelView.button
    @Workflow.transition('closed')
    def close(cls, alerts):
        for alert in alerts:
            if not alert.action:
                raise AlertError(gettext(
                        'sales_ops_policy.msg_alert_action_missing',
                        alert=alert.rec_name))
        cls.write(alerts, {
                'closed_by': Transaction().user,
                'closed_date': _now(),
                })

    @classmethod
    @ModelView.button
    @Workflow.transition('open')
    def reopen(cls, alerts):
        # the write records who reopened it and when
        cls.write(alerts, {'closed_by': None, 'closed_date': None})

    @classmethod
    def detect(cls, date=None):
        """The daily task: keep an alert for each fall found on date (today
        by default) that no open alert, nor one of the same period, names
        already; return the new alerts"""
        pool = Pool()
        Company = pool.get('company.company')
        Date = pool.get('ir.date')
        transaction = Transaction()
        if transaction.context.get('company'):
            # the cron runs once per company
            companies = [Company(transaction.context['company'])]
        else:
            companies = Company.search([])
        date = date or Date.today()
        values = []
        # the figures add up every order, whoever runs the task
        with transaction.set_user(0):
            for company in companies:
                with transaction.set_context(
                        company=company.id, team=None, salesperson=None,
                        channel=None, customer_tier=None,
                        product_category=None):
                    values.extend(cls._fresh(company, cls._find(date)))
        return cls.create(values)

    @classmethod
    def _find(cls, date):
        "The values of the alerts of the falls found on date"
        pool = Pool()
        Configuration = pool.get('sale.configuration')
        company = Transaction().context['company']
        config = Configuration(1)
        found = []

        def alert(kind, start, end, compared_start, compared_end, **values):
            values.update(company=company, kind=kind, date=date,
                period_start=start, period_end=end,
                compared_start=compared_start, compared_end=compared_end)
            found.append(values)

        def fall(previous, current):
            "The change from previous to current in % of previous"
            previous, current = _decimal(previous), _decimal(current)
            if previous <= 0:
                return None
            return float((current - previous) / previous * 100)

        # the last full month against the month before
        end = date.replace(day=1) - dt.timedelta(days=1)
        start = end.replace(day=1)
        compared_start = start - relativedelta(months=1)
        compared_end = start - dt.timedelta(days=1)
        month = (start, end, compared_start, compared_end)

        if config.alert_revenue_fall:
            for model, key in [
                    ('sale.analysis.achievement.employee', 'employee'),
                    ('sale.analysis.achievement.team', 'team')]:
                before = cls._figures(
                    model, key, 'revenue', compared_start, compared_end)
                now = cls._figures(model, key, 'revenue', start, end)
                for record, previous in before.items():
                    current = now.get(record, 0)
                    change = fall(previous, current)
                    if change is not None and (
                            -change >= config.alert_revenue_fall):
                        alert('revenue', *month, **{key: record},
                            previous=float(previous), current=float(current),
                            change=change)

        if config.alert_conversion_fall:
            model = 'sale.lead.channel.effectiveness'
            before = cls._figures(
                model, 'channel', 'win_rate', compared_start,
                compared_end)
            now = cls._figures(model, 'channel', 'win_rate', start, end)
            for channel, previous in before.items():
                # the leads decided, not all of them: last month's are still
                # younger than the month before's
                if previous is None or now.get(channel) is None:
                    # no lead decided in one of the periods: nothing to
                    # compare
                    continue
                previous, current = previous * 100, now[channel] * 100
                if previous - current >= config.alert_conversion_fall:
                    alert('conversion', *month, channel=channel,
                        previous=previous, current=current,
                        change=current - previous)

        if config.alert_churn_days:
            days = config.alert_churn_days
            found.extend(cls._find_churn(date, days, config.alert_spend_fall))

        if config.alert_share_loss:
            found.extend(cls._find_share(date, config.alert_share_loss))
        for values in found:
            values.setdefault('company', company)
            values.setdefault('date', date)
            for name in ['previous', 'current', 'change']:
                values[name] = round(float(values[name]), 2)
        cls._set_teams(found)
        return found

    @classmethod
    def _figures(cls, model, key, name, from_date, to_date, **context):
        "{key record id: figure name} of the rows of the analysis model"
        Model = Pool().get(model)
        with Transaction().set_context(
                from_date=from_date, to_date=to_date, **context):
            rows = Model.search([])
            return {getattr(r, key).id: getattr(r, name)
                for r in rows if getattr(r, key)}

    @classmethod
    def _find_churn(cls, date, days, spend_fall):
        """The customers who usually order more often than every days and
        have not for days, and those whose spend of the last days fell by
        spend_fall % or more from the days before"""
        pool = Pool()
        Party = pool.get('party.party')
        model = 'sale.analysis.customer'
        start = date - dt.timedelta(days=days - 1)
        compared_end = start - dt.timedelta(days=1)
        compared_start = compared_end - dt.timedelta(days=days - 1)
        history = date - dt.timedelta(days=max(HISTORY_DAYS, 2 * days))
        # one read of the analysis for both figures
        Customer = pool.get(model)
        with Transaction().set_context(from_date=history, to_date=date):
            rows = Customer.search([])
            intervals = {r.customer.id: r.order_interval for r in rows}
            since = {r.customer.id: r.days_since_last for r in rows}
        found = []
        silent = {c for c, interval in intervals.items()
            if interval is not None and interval < days
            and since[c] >= days}
        for customer in silent:
            found.append({
                    'kind': 'silence', 'party': customer,
                    'period_start': history, 'period_end': date,
                    'compared_start': history, 'compared_end': date,
                    'previous': intervals[customer],
                    'current': since[customer],
                    'change': since[customer] - intervals[customer],
                    })
        if spend_fall:
            before = cls._figures(
                model, 'customer', 'revenue', compared_start, compared_end)
            now = cls._figures(model, 'customer', 'revenue', start, date)
            for customer, previous in before.items():
                previous = _decimal(previous)
                current = _decimal(now.get(customer))
                if customer in silent or previous <= 0:
                    continue
                change = float((current - previous) / previous * 100)
                if -change >= spend_fall:
                    found.append({
                            'kind': 'spend', 'party': customer,
                            'period_start': start, 'period_end': date,
                            'compared_start': compared_start,
                            'compared_end': compared_end,
                            'previous': float(previous),
                            'current': float(current),
                            'change': change,
                            })
        owners = {p.id: p.owner for p in Party.browse(
                [v['party'] for v in found])}
        for values in found:
            owner = owners[values['party']]
            values['employee'] = owner.id if owner else None
        return found

    @classmethod
    def _find_share(cls, date, loss):
        """The latest market size entry of each segment whose share fell by
        loss points or more from the entry before"""
        pool = Pool()
        Size = pool.get('sale.market.size')
        company = Transaction().context['company']
        sizes = Size.search([
                ('company', '=', company),
                ('end_date', '<', date),
                ('end_date', '>=', date - relativedelta(years=1)),
                ])
        latest = {}
        for size in sizes:
            segment = (size.segment_type, size.subdivision, size.industry,
                size.product_category)
            if (segment not in latest
                    or latest[segment].end_date < size.end_date):
                latest[segment] = size
        found = []
        for size in latest.values():
            if (size.share_change is not None
                    and -size.share_change >= float(loss)):
                found.append({
                        'kind': 'share', 'market_size': size.id,
                        'period_start': size.start_date,
                        'period_end': size.end_date,
                        'compared_start': size.previous.start_date,
                        'compared_end': size.previous.end_date,
                        'previous': size.previous_share * 100,
                        'current': size.share * 100,
                        'change': size.share_change,
                        })
        return found

    @classmethod
    def _set_teams(cls, found):
        "The team of the salesperson of each alert, when not set"
        Employee = Pool().get('company.employee')
        employees = Employee.browse(
            {v['employee'] for v in found if v.get('employee')})
        teams = Employee.get_sales_team(employees, 'sales_team')
        for values in found:
            if values.get('employee') and not values.get('team'):
                values['team'] = teams.get(values['employee'])

    @classmethod
    def _fresh(cls, company, found):
        """The values of found that no open alert names, nor an alert of
        the same period"""
        alerts = cls.search([
                ('company', '=', company.id),
                ['OR',
                    ('state', '=', 'open'),
                    ('period_start', 'in',
                        list({v['period_start'] for v in found})),
                    ],
                ])

        def key(values):
            return tuple(values.get(f) for f in KEY_FIELDS)
        opened = set()
        periods = set()
        for alert in alerts:
            record_key = tuple(
                getattr(alert, f).id if isinstance(
                    getattr(alert, f), ModelSQL) else getattr(alert, f)
                for f in KEY_FIELDS)
            if alert.state == 'open':
                opened.add(record_key)
            periods.add((record_key, alert.period_start))
        return [v for v in found
            if key(v) not in opened
            and (key(v), v['period_start']) not in periods]

    @classmethod
    def notify(cls):
        """E-mail each owner, their supervisor and their team's managers
        the open alerts not yet notified, the sales managers those of the
        channels and markets, through the notification e-mail
        "alert_email" of this module (P5.2.2)"""
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        transaction = Transaction()
        domain = [('state', '=', 'open'), ('notified', '=', None)]
        if transaction.context.get('company'):
            domain.append(('company', '=', transaction.context['company']))
        alerts = cls.search(domain)
        if not alerts:
            return []
        managers = {e for u in User.search([
                    ('groups', '=', ModelData.get_id(
                            'sales_ops_policy', 'group_manager')),
                    ]) for e in u.employees}
        by_employee = defaultdict(list)
        for alert in alerts:
            for employee in alert.recipients(managers):
                by_employee[employee.id].append(alert.id)
        emails = notify_employees('alert_email', by_employee, 'sale_alerts')
        cls.write(alerts, {'notified': _now()})
        return emails

    def recipients(self, managers):
        """The employees told of the alert: the owner, their supervisor and
        the team's manager and supervisors, else the sales managers"""
        recipients = set()
        if self.employee:
            recipients.add(self.employee)
            if self.employee.supervisor:
                recipients.add(self.employee.supervisor)
        if self.team:
            recipients.update(self.team.supervisors)
            if self.team.manager:
                recipients.add(self.team.manager)
        if not recipients:
            recipients = {e for e in managers if e.company == self.company}
        return recipients


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.extend([
                ('sale.analysis.alert|detect', "Find Sales Alerts"),
                ('sale.analysis.alert|notify', "Send Sales Alerts"),
                ])


class AlertReport(Report):
    "The new sales alerts of a user (P5.2.2)"
    __name__ = 'sale.analysis.alert.report'

    @classmethod
    def get_context(cls, records, header, data):
        Alert = Pool().get('sale.analysis.alert')
        context = super().get_context(records, header, data)
        ids = Transaction().context.get('sale_alerts')
        if ids is None:
            # printed outside the task: the users' open alerts
            alerts = Alert.search([('state', '=', 'open')])
        else:
            alerts = Alert.browse(ids)
        context['alerts'] = alerts
        return context
