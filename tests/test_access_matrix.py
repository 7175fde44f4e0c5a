# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The full access matrix of the three Sales Ops modules (issue 11): every
model and every button × every role group of the policy (P2), checked
against the one table below, plus the record rules (own, team, all) of the
sales team tree on the models where a record is cheap to make.

What is checked, for a user in exactly one role group (and the groups that
group inherits: Sales Manager ⊃ Sales Supervisor ⊃ Salesperson ⊃ Sales,
Finance ⊃ Accounting):

- read, create, write and delete of each model as ir.model.access answers
  (ModelAccess.check): every model registered first by our modules and the
  other modules' models on which our XML defines access rows, buttons or
  record rules.  A model without any access row is open to everyone, so the
  table says so too (the wizard and context models).
- each button as ModelView.button checks it before running: read access,
  then the groups of its ir.model.button, or write access when it has none.
- the records of three salespeople (Alice and Carl in team East supervised
  by Sam, Bob in team West) each role finds by search and may read by id.

A model or button of the modules missing from the table, or a table row
for one that no longer exists, fails the test: a new model needs its row.
The run prints the number of combinations checked (3,962 today: 115 models
× 7 roles × 4 modes, 82 buttons × 7 roles, 6 models × 7 roles × 4 searches
and reads of three salespeople's records; see it with ``pytest -rP``).
"""
import datetime as dt

from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import (
    create_company, create_employee, set_company)
from trytond.pool import Pool
from trytond.tests import test_tryton
from trytond.tests.test_tryton import with_transaction

from sales_ops_policy.tests.tools import acting_as

MODULES = ['sales_ops_policy', 'sales_ops_training', 'sales_ops_incentive']
ROLES = [
    'salesperson', 'supervisor', 'manager', 'signatory', 'legal', 'finance',
    'admin']
# a user of each role, with their employee when they have one
LOGINS = {
    'salesperson': 'alice',
    'supervisor': 'sam',
    'manager': 'mary',
    'signatory': 'sigrid',
    'legal': 'lena',
    'finance': 'fred',
    'admin': 'olga',
    }
MODES = {'r': 'read', 'c': 'create', 'w': 'write', 'd': 'delete'}

# What each role may do on each model: read, create, write, delete; "-" is
# nothing.  The policy's statement of who may do what (P2-P8): salespeople
# do their own work, supervisors review their team's, the manager approves
# for the department and owns targets, pay and promotions, the signatory
# signs contracts (P3.3.2), legal reviews them (P3.3.1), finance reviews and
# pays claims, collects and posts (P3.5, P6.2.3), the administrator sets up
# the reference data.
# sp salesperson, sup supervisor, mgr manager, sig signatory, leg legal,
# fin finance, adm administrator
#        sp   sup  mgr  sig  leg  fin  adm
ACCESS = {
    'account.invoice.dispute':
        'rcw  rcw  rcw  -    -    rcw  rcw',
    'approval.request':
        'rc   rcw  rcw  rcw  rcw  rcw  rcw',
    'approval.step':
        'r    r    r    r    r    r    rcwd',
    # party's own rows: open to everyone; the tier buttons are ours
    'party.party':
        'rcwd rcwd rcwd rcwd rcwd rcwd rcwd',
    'sale.analysis.achievement.category':
        'r    r    r    -    -    r    r',
    'sale.analysis.achievement.category.time_series':
        'r    r    r    -    -    r    r',
    'sale.analysis.achievement.channel':
        'r    r    r    -    -    r    r',
    'sale.analysis.achievement.channel.time_series':
        'r    r    r    -    -    r    r',
    'sale.analysis.achievement.employee':
        'r    r    r    -    -    r    r',
    'sale.analysis.achievement.employee.time_series':
        'r    r    r    -    -    r    r',
    'sale.analysis.achievement.team':
        '-    r    r    -    -    r    r',
    'sale.analysis.achievement.team.time_series':
        '-    r    r    -    -    r    r',
    'sale.analysis.achievement.tier':
        'r    r    r    -    -    r    r',
    'sale.analysis.achievement.tier.time_series':
        'r    r    r    -    -    r    r',
    'sale.analysis.alert':
        'rw   rw   rw   -    -    r    rw',
    # no access row: open to everyone (a context or wizard model)
    'sale.analysis.context':
        'rcwd rcwd rcwd rcwd rcwd rcwd rcwd',
    'sale.analysis.customer':
        'r    r    r    -    -    r    r',
    'sale.analysis.customer.category':
        'r    r    r    -    -    r    r',
    'sale.analysis.customer.order_value':
        'r    r    r    -    -    r    r',
    'sale.analysis.customer.recency':
        'r    r    r    -    -    r    r',
    'sale.career.goal':
        'rw   rcwd rcwd -    -    -    rcwd',
    'sale.career.move':
        'r    r    rcwd -    -    -    rcwd',
    'sale.career.plan':
        'r    rcwd rcwd -    -    -    rcwd',
    'sale.career.plan.competency':
        'r    rcwd rcwd -    -    -    rcwd',
    'sale.collection.plan':
        'rw   rw   rw   -    -    rw   rw',
    'sale.collection.plan.log':
        'rw   rw   rw   -    -    rw   rw',
    'sale.collection.rate.context':
        'rcwd rcwd rcwd rcwd rcwd rcwd rcwd',
    'sale.collection.rate.employee':
        'r    r    r    -    -    r    r',
    'sale.collection.rate.party':
        '-    r    r    -    -    r    r',
    'sale.collection.rate.team':
        '-    r    r    -    -    r    r',
    'sale.collection.stage':
        'rw   rw   rw   -    -    rw   rw',
    'sale.compensation.coefficient':
        '-    -    rcwd -    -    r    rcwd',
    'sale.compensation.plan':
        '-    -    rcwd -    -    r    rcwd',
    'sale.competency':
        'r    r    rcwd r    r    r    rcwd',
    'sale.competency.area':
        'r    r    rcwd r    r    r    rcwd',
    'sale.competency.assessment':
        'r    rcw  rcwd -    -    -    rcwd',
    'sale.competency.requirement':
        'r    r    rcwd r    r    r    rcwd',
    'sale.complaint':
        'rcwd rcwd rcwd -    -    r    rcw',
    'sale.complaint.cause':
        'r    r    r    r    r    r    rcwd',
    'sale.complaint.deadline':
        'r    r    r    r    r    r    rcwd',
    'sale.complaint.statistics.cause':
        '-    -    r    -    -    -    r',
    'sale.complaint.statistics.context':
        'rcwd rcwd rcwd rcwd rcwd rcwd rcwd',
    'sale.complaint.statistics.customer':
        '-    -    r    -    -    -    r',
    'sale.complaint.statistics.product':
        '-    -    r    -    -    -    r',
    'sale.configuration':
        'r    r    r    r    r    r    rw',
    # signed by the manager or a signatory (P3.3.2, buttons); legal
    # reviews through approval.request (P3.3.1)
    'sale.contract':
        'rcwd rcwd rcwd rw   rw   r    rcwd',
    'sale.contract.clause':
        'rcwd rcwd rcwd r    rcwd r    rcwd',
    'sale.contract.delegation':
        'r    r    rcwd r    r    r    rcwd',
    'sale.customer.care':
        'rcw  rcw  rcw  -    -    -    rcwd',
    'sale.customer.care.holiday':
        'r    r    rcwd -    -    -    rcwd',
    'sale.customer.care.holiday.date':
        'r    r    rcwd -    -    -    rcwd',
    'sale.customer.care.prepare.start':
        'rcwd rcwd rcwd rcwd rcwd rcwd rcwd',
    'sale.customer.care.recommendation':
        'r    r    rcwd -    -    -    rcwd',
    'sale.customer.care.recommendation-product':
        'r    r    rcwd -    -    -    rcwd',
    'sale.customer.change':
        'r    r    r    -    -    -    r',
    'sale.customer.requirement':
        'r    r    r    -    -    -    rcwd',
    'sale.customer.revisit':
        'rcwd rcwd rcwd -    -    -    rcwd',
    'sale.customer.tier':
        'r    r    r    -    -    r    rcwd',
    'sale.customer.tier.history':
        'r    r    r    -    -    r    r',
    'sale.expense.budget':
        'r    rcwd rcwd -    -    r    rcwd',
    'sale.expense.budget.line':
        'r    rcwd rcwd -    -    r    rcwd',
    'sale.expense.budget.period':
        'r    rcwd rcwd -    -    r    rcwd',
    'sale.expense.category':
        'r    r    r    r    r    rcwd rcwd',
    # supervisor reviews through approval.request (P6.2.2), finance
    # reviews, posts and pays (P6.2.3)
    'sale.expense.claim':
        'rcwd rcwd rcwd -    -    rw   rcwd',
    'sale.expense.claim.line':
        'rcwd rcwd rcwd -    -    rw   rcwd',
    'sale.expense.preapproval':
        'rcwd rcwd rcwd -    -    rw   rcwd',
    'sale.expense.return':
        '-    -    r    -    -    r    r',
    'sale.expense.return.context':
        'rcwd rcwd rcwd rcwd rcwd rcwd rcwd',
    'sale.expense.standard':
        'r    r    r    r    r    rcwd rcwd',
    'sale.followup':
        'rcw  rcw  rcwd -    -    -    rcwd',
    'sale.honour':
        'r    r    rcw  -    -    r    rw',
    'sale.honour.type':
        'r    r    rcwd -    -    r    rcwd',
    'sale.kpi':
        'r    r    r    -    -    r    rcwd',
    'sale.kpi.band':
        'r    r    r    -    -    r    rcwd',
    'sale.kpi.coaching':
        'r    rcw  rcwd -    -    -    rcwd',
    'sale.kpi.coaching.goal':
        'r    rcw  rcwd -    -    -    rcwd',
    'sale.kpi.objection':
        'rcw  rcw  rcw  -    -    -    rw',
    'sale.kpi.period':
        'r    r    rcwd -    -    r    rcwd',
    'sale.kpi.period.create.start':
        'rcwd rcwd rcwd rcwd rcwd rcwd rcwd',
    'sale.kpi.scheme':
        'r    r    rcwd -    -    r    rcwd',
    'sale.kpi.scheme.line':
        'r    r    rcwd -    -    r    rcwd',
    'sale.kpi.scorecard':
        'r    r    r    -    -    r    r',
    'sale.kpi.scorecard.line':
        'r    r    r    -    -    r    r',
    # the manager owns the targets (P2.2.1); a supervisor sets those of
    # their team's salespeople (record rules)
    'sale.kpi.target':
        'r    rcw  rcwd -    -    r    rcwd',
    'sale.kpi.target.copy.start':
        'rcwd rcwd rcwd rcwd rcwd rcwd rcwd',
    'sale.lead.channel':
        'r    r    r    r    r    r    rcwd',
    'sale.lead.channel.effectiveness':
        'r    r    r    -    -    r    r',
    'sale.market.intelligence':
        'rcw  rcw  rcwd -    -    -    -',
    'sale.market.intelligence-competitor':
        'rcw  rcw  rcwd -    -    -    -',
    'sale.market.intelligence-party.party':
        'rcw  rcw  rcwd -    -    -    -',
    'sale.market.intelligence-product.product':
        'rcw  rcw  rcwd -    -    -    -',
    'sale.market.size':
        'r    r    rcwd -    -    -    rcw',
    # legal and finance read all, the administrator none (see SCOPE)
    'sale.opportunity':
        'rcw  rcw  rcwd -    r    r    -',
    'sale.opportunity.proposal':
        'rcw  rcw  rcwd -    r    r    -',
    # pay (P8.1): the manager and finance compute it
    'sale.pay.run':
        '-    -    rcw  -    -    rcw  r',
    'sale.pay.run.line':
        'r    r    r    -    -    r    r',
    'sale.promotion.criterion':
        '-    r    rcwd -    -    -    rcwd',
    'sale.promotion.proposal':
        '-    r    rcw  -    -    -    r',
    'sale.sale':
        'rcwd rcwd rcwd -    r    r    -',
    # managers edit teams, administrators create them (tests/test_access)
    'sale.team':
        'r    r    rw   r    r    r    rcwd',
    'sale.team-supervisor':
        'r    r    rw   r    r    r    rcwd',
    'sale.team.member':
        'r    r    rw   r    r    r    rcwd',
    'sale.team.move_employee.start':
        'rcwd rcwd rcwd rcwd rcwd rcwd rcwd',
    'sale.training.course':
        'r    r    rcwd r    r    r    rcwd',
    'sale.training.course-sale.competency':
        'r    r    rcwd r    r    r    rcwd',
    'sale.training.effectiveness':
        '-    r    r    -    -    -    r',
    'sale.training.effectiveness.context':
        '-    r    r    -    -    -    r',
    'sale.training.enrolment':
        'r    rcwd rcwd -    -    -    rcwd',
    'sale.training.need':
        'r    rcwd rcwd -    -    -    rcwd',
    'sale.training.need.analysis':
        '-    rcwd rcwd -    -    -    rcwd',
    'sale.training.need.rule':
        'r    r    rcwd r    r    r    rcwd',
    'sale.training.plan':
        'r    rcwd rcwd -    -    -    rcwd',
    'sale.training.plan-company.employee':
        'r    rcwd rcwd -    -    -    rcwd',
    'sale.training.plan.course':
        'r    rcwd rcwd -    -    -    rcwd',
    'sale.training.session':
        'r    rcwd rcwd -    -    -    rcwd',
    }

# Who may click each button of the modules, the roles above that inherit a
# group included.
BUTTONS = {
    'account.invoice.dispute': {
        'resolve': 'manager finance',
        },
    'approval.request': {
        'approve': 'supervisor manager signatory legal finance',
        'reject': 'supervisor manager signatory legal finance',
        },
    'party.party': {
        'compute_tier': 'supervisor manager admin',
        'mark_reviewed': 'salesperson supervisor manager admin',
        },
    'sale.analysis.alert': {
        'close': 'salesperson supervisor manager admin',
        'reopen': 'supervisor manager admin',
        },
    'sale.career.move': {
        'cancel': 'manager',
        'confirm': 'manager',
        },
    'sale.career.plan': {
        'achieve': 'supervisor manager',
        'activate': 'supervisor manager',
        'cancel': 'supervisor manager',
        'draft': 'supervisor manager',
        'fill_competencies': 'supervisor manager',
        },
    'sale.collection.plan': {
        'adjust': 'salesperson supervisor manager finance',
        'cancel': 'manager finance',
        'confirm': 'salesperson supervisor manager finance',
        'refresh': 'salesperson supervisor manager finance admin',
        },
    'sale.contract': {
        'activate': 'salesperson supervisor manager signatory',
        'cancel': 'salesperson supervisor manager',
        'close': 'manager',
        'draft': 'salesperson supervisor manager',
        'new_version': 'salesperson supervisor manager',
        'sign': 'manager signatory',
        'submit': 'salesperson supervisor manager',
        },
    'sale.contract.delegation': {
        'grant': 'manager',
        'revoke': 'manager',
        },
    'sale.customer.care': {
        'cancel': 'salesperson supervisor manager admin',
        'do': 'salesperson supervisor manager admin',
        'draft': 'salesperson supervisor manager admin',
        'send': 'salesperson supervisor manager admin',
        },
    'sale.customer.revisit': {
        'cancel': 'salesperson supervisor manager admin',
        'do': 'salesperson supervisor manager admin',
        'replan': 'salesperson supervisor manager admin',
        },
    'sale.expense.budget': {
        'cancel': 'manager',
        'draft': 'supervisor manager',
        'split_periods': 'supervisor manager admin',
        'submit': 'supervisor manager',
        },
    'sale.expense.claim': {
        'cancel': 'salesperson supervisor manager finance',
        'draft': 'salesperson supervisor manager',
        'pay': 'finance',
        'post': 'finance',
        'submit': 'salesperson supervisor manager',
        },
    'sale.expense.preapproval': {
        'cancel': 'salesperson supervisor manager',
        'draft': 'salesperson supervisor manager',
        'request': 'salesperson supervisor manager',
        },
    'sale.honour': {
        'cancel': 'manager',
        'publish': 'manager',
        'submit': 'manager',
        },
    'sale.kpi.coaching': {
        'cancel': 'supervisor manager',
        'do': 'supervisor manager',
        },
    'sale.kpi.objection': {
        'accept': 'supervisor manager',
        'reject': 'supervisor manager',
        'withdraw': 'salesperson supervisor manager',
        },
    'sale.kpi.period': {
        'close': 'manager',
        'compute': 'supervisor manager',
        'draft': 'manager',
        'open': 'manager',
        },
    'sale.pay.run': {
        'cancel': 'manager finance',
        'compute': 'manager finance',
        'draft': 'manager finance',
        'submit': 'manager finance',
        },
    'sale.promotion.proposal': {
        'cancel': 'manager',
        'draft': 'manager',
        'submit': 'manager',
        },
    'sale.sale': {
        'request_release': 'salesperson supervisor manager',
        },
    'sale.training.enrolment': {
        'absent': 'supervisor manager',
        'assess': 'supervisor manager',
        'attend': 'supervisor manager',
        'cancel': 'supervisor manager',
        'reset': 'supervisor manager',
        },
    'sale.training.need.analysis': {
        'compute': 'supervisor manager',
        'done': 'supervisor manager',
        'draft': 'supervisor manager',
        'draft_plan': 'supervisor manager',
        },
    'sale.training.plan': {
        'cancel': 'supervisor manager',
        'do': 'supervisor manager',
        'draft': 'supervisor manager',
        'submit': 'supervisor manager',
        },
    'sale.training.session': {
        'cancel': 'supervisor manager',
        'hold': 'supervisor manager',
        'plan_again': 'supervisor manager',
        },
    }

# Whose records each role's user of LOGINS finds among those of Alice, Carl
# (team East, supervised by Sam) and Bob (team West): own (Alice's for
# Alice, none for Sam), team (Alice's and Carl's), all, or "-" (no read
# access at all).  Mary manages both teams; "all" comes from the group.
#        sp   sup  mgr  sig  leg  fin  adm
SCOPE = {
    'sale.opportunity':
        'own  team all  -    all  all  -',
    'sale.sale':
        'own  team all  -    all  all  -',
    'sale.followup':
        'own  team all  -    -    -    all',
    'sale.expense.claim':
        'own  team all  -    -    all  all',
    'sale.customer.revisit':
        'own  team all  -    -    -    all',
    'sale.market.intelligence':
        'own  team all  -    -    -    -',
    }
OWNERS = ['alice', 'carl', 'bob']
TEAM = {'alice', 'carl'}


class AccessMatrixTestCase(test_tryton._DBTestCase):
    "Test the access matrix of every model and button by role"

    module = 'sales_ops_incentive'

    def build_users(self):
        "Create the company, the two teams and a user of each role"
        pool = Pool()
        Data = pool.get('ir.model.data')
        Team = pool.get('sale.team')
        User = pool.get('res.user')

        company = create_company()
        employees = {n: create_employee(company, n.title())
            for n in [*LOGINS.values(), 'carl', 'bob', 'tom']}
        Team.create([{
                    'name': "East", 'company': company.id,
                    'manager': employees['mary'].id,
                    'supervisors': [('add', [employees['sam'].id])],
                    'members': [('create', [
                                {'employee': employees['alice'].id},
                                {'employee': employees['carl'].id}])],
                    }, {
                    'name': "West", 'company': company.id,
                    'manager': employees['mary'].id,
                    'supervisors': [('add', [employees['tom'].id])],
                    'members': [('create', [
                                {'employee': employees['bob'].id}])],
                    }])
        users = {}
        for role, login in LOGINS.items():
            group = Data.get_id('sales_ops_policy', 'group_%s' % role)
            users[role], = User.create([{
                        'login': login,
                        'name': login.title(),
                        'groups': [('add', [group])],
                        'companies': [('add', [company.id])],
                        'company': company.id,
                        'employees': [('add', [employees[login].id])],
                        'employee': employees[login].id,
                        }])
        return company, employees, users

    def subjects(self):
        """Return the models of the table and {model: buttons}: the models
        our modules registered first, and those of other modules with our
        access rows, buttons or record rules and the buttons our modules
        added to them"""
        pool = Pool()
        Model = pool.get('ir.model')
        Data = pool.get('ir.model.data')

        ours = {m.name for m in Model.search([('module', 'in', MODULES)])}
        foreign, foreign_buttons = set(), set()
        for data in Data.search([
                    ('module', 'in', MODULES),
                    ('model', 'in', [
                            'ir.model.access', 'ir.model.button',
                            'ir.rule.group']),
                    ]):
            record = pool.get(data.model)(data.db_id)
            name = getattr(record.model, 'name', record.model)
            foreign.add(name)
            if data.model == 'ir.model.button':
                foreign_buttons.add((name, record.name))
        foreign -= ours

        def added(Class, button):
            "Whether the button's method is first defined by our modules"
            defining = [k for k in Class.__mro__ if button in vars(k)]
            return defining[-1].__module__.split('.')[0] in MODULES

        buttons = {}
        for name in ours | foreign:
            Class = pool.get(name)
            names = set(getattr(Class, '_buttons', {}))
            if name in foreign:
                names = {b for b in names
                    if added(Class, b) or (name, b) in foreign_buttons}
            if names:
                buttons[name] = names
        return ours | foreign, buttons

    @with_transaction()
    def test_access_matrix(self):
        "Every role's access to every model, button and team-scoped record"
        pool = Pool()
        ModelAccess = pool.get('ir.model.access')
        Button = pool.get('ir.model.button')
        User = pool.get('res.user')

        company, employees, users = self.build_users()
        models, buttons = self.subjects()
        self.assertEqual(set(ACCESS) - models, set(), "rows of no model")
        self.assertEqual(models - set(ACCESS), set(), "models without row")
        table_buttons = {(m, b) for m in BUTTONS for b in BUTTONS[m]}
        real_buttons = {(m, b) for m in buttons for b in buttons[m]}
        self.assertEqual(
            table_buttons - real_buttons, set(), "rows of no button")
        self.assertEqual(
            real_buttons - table_buttons, set(), "buttons without row")

        checked, wrong = 0, []

        def expect(what, role, expected, got):
            nonlocal checked
            checked += 1
            if expected != got:
                wrong.append('%s as %s: expected %s, got %s' % (
                        what, role, 'allowed' if expected else 'refused',
                        'allowed' if got else 'refused'))

        for column, role in enumerate(ROLES):
            with acting_as(users[role]):
                groups = set(User.get_groups())
                for name in sorted(models):
                    perms = ACCESS[name].split()[column]
                    for letter, mode in MODES.items():
                        expect('%s %s' % (mode, name), role,
                            letter in perms,
                            ModelAccess.check(
                                name, mode, raise_exception=False))
                for name, button in sorted(table_buttons):
                    # the checks of ModelView.button before it runs
                    button_groups = Button.get_groups(name, button)
                    if button_groups:
                        allowed = bool(groups & button_groups)
                    else:
                        allowed = ModelAccess.check(
                            name, 'write', raise_exception=False)
                    allowed &= ModelAccess.check(
                        name, 'read', raise_exception=False)
                    expect('button %s.%s' % (name, button), role,
                        role in BUTTONS[name][button].split(), allowed)

        checked += self.check_scopes(company, employees, users, wrong)
        print("access matrix: %s combinations checked" % checked)
        self.assertEqual(wrong, [], '\n'.join(wrong))
        self.assertGreaterEqual(checked, 3900)

    def check_scopes(self, company, employees, users, wrong):
        """Check that each role finds and reads the records of the
        salespeople in its scope and no other; return the number of
        combinations checked"""
        pool = Pool()
        customer = pool.get('party.party')(name="Customer")
        customer.save()
        now = dt.datetime(2026, 5, 4, 10)
        records = {}
        with set_company(company):
            for login in OWNERS:
                employee = employees[login]
                values = {
                    'sale.opportunity': {
                        'party': customer, 'employee': employee,
                        'description': login},
                    'sale.sale': {
                        'party': customer, 'employee': employee,
                        'description': login},
                    'sale.followup': {
                        'party': customer, 'employee': employee,
                        'date': now, 'method': 'phone', 'content': login},
                    'sale.expense.claim': {
                        'employee': employee, 'description': login},
                    'sale.customer.revisit': {
                        'party': customer, 'employee': employee,
                        'planned_date': now.date(), 'method': 'visit'},
                    'sale.market.intelligence': {
                        'employee': employee, 'kind': 'other',
                        'date': now.date(), 'summary': login},
                    }
                for name, record_values in values.items():
                    record = pool.get(name)(**record_values)
                    record.save()
                    records[name, record.id] = login

        checked = 0
        for column, role in enumerate(ROLES):
            login = LOGINS[role]
            scopes = {
                'own': {login} & set(OWNERS), 'team': TEAM,
                'all': set(OWNERS), '-': set()}
            for name, row in SCOPE.items():
                Model = pool.get(name)
                scope = row.split()[column]
                expected = scopes[scope]
                ids = {i: o for (m, i), o in records.items() if m == name}
                with acting_as(users[role]):
                    try:
                        found = {ids[r.id] for r in Model.search([])
                            if r.id in ids}
                    except AccessError:
                        found = None
                checked += 1
                if found != (expected if scope != '-' else None):
                    wrong.append('%s as %s: expected %s, found %s' % (
                            name, role, scope,
                            sorted(found) if found is not None else '-'))
                for id_, owner in ids.items():
                    with acting_as(users[role]):
                        try:
                            Model.read([id_], ['id'])
                            readable = True
                        except AccessError:
                            readable = False
                    checked += 1
                    if readable != (owner in expected):
                        wrong.append('read %s of %s as %s: expected %s' % (
                                name, owner, role,
                                'allowed' if owner in expected
                                else 'refused'))
        return checked
