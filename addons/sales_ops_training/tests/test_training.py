# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Training and career development (P7): who reads whose training and career
records, who clicks the plan, assessment and promotion buttons, the errors
that refuse bad input and the training plans taking their budget from the
training expense budget (P6.1)."""
import datetime as dt
import re
from contextlib import contextmanager
from decimal import Decimal
from unittest.mock import patch

from trytond.model.exceptions import AccessButtonError, AccessError
from trytond.modules.company.tests import (
    create_company, create_employee, set_company)
from trytond.pool import Pool
from trytond.tests import test_tryton
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction, TransactionError

from sales_ops_policy.tests.tools import acting_as, create_accounting
from sales_ops_training.exceptions import (
    TrainingError, TrainingValidationError)

TODAY = dt.date(2026, 6, 15)
# the users and their group; Alice and Paula sell in Sam's East team, Bob in
# no team, Mary manages the team
ROLES = {
    'alice': "Salesperson",
    'paula': "Salesperson",
    'bob': "Salesperson",
    'sam': "Sales Supervisor",
    'mary': "Sales Manager",
    }
# the steps of the sales ladder of the employees (P7.4)
LADDER = {'sam': 'supervisor', 'mary': 'manager'}
# the records of each person read through the record rules (P7, DESIGN
# "Roles and record rules"): own, the team's, all
RULED = [
    'sale.competency.assessment',
    'sale.training.enrolment',
    'sale.training.need',
    'sale.career.plan',
    'sale.career.move',
    ]
OWNERS = ['alice', 'paula', 'bob']
READERS = {
    'alice': {'alice'},
    'paula': {'paula'},
    'bob': {'bob'},
    'sam': {'alice', 'paula'},
    'mary': {'alice', 'paula', 'bob'},
    }
# model → button → the roles allowed to click it (Sales Manager is a child
# of Sales Supervisor, itself a child of Salesperson)
BUTTONS = {
    'sale.training.plan': {'submit': {'sam', 'mary'}},
    'sale.training.enrolment': {'assess': {'sam', 'mary'}},
    'sale.career.move': {'confirm': {'mary'}},
    }
CLICKERS = ['alice', 'sam', 'mary']


def amount_pattern(value):
    "A regular expression of value as the currency format writes it"
    units, cents = f'{value:.2f}'.split('.')
    # the thousands separated or not
    grouped = re.sub(
        r'(\d)(?=(\d{3})+$)', lambda m: m.group(1) + r'\D?', units)
    return grouped + r'[.,]' + cents


class TrainingMixin:
    "Builds a company, the East team, the users and the training catalogue"

    module = 'sales_ops_training'

    def today_is(self, today=TODAY):
        "Fix the day of ir.date for the rest of the test"
        Date = Pool().get('ir.date')
        self.enterContext(patch.object(Date, 'today', return_value=today))

    def build(self, chart=False):
        """The company (with its chart and fiscal year of TODAY when chart),
        the East team (Sam supervises Alice and Paula, Mary manages), the
        West team without member, the users of ROLES, a competency and a
        course of 1500 that trains it"""
        pool = Pool()
        Group = pool.get('res.group')
        User = pool.get('res.user')
        Team = pool.get('sale.team')
        Employee = pool.get('company.employee')
        Area = pool.get('sale.competency.area')
        Competency = pool.get('sale.competency')
        Course = pool.get('sale.training.course')

        self.today_is()
        company = create_company()
        self.company = company
        start = TODAY - dt.timedelta(days=200)
        with set_company(company):
            if chart:
                self.fiscalyear, = create_accounting(company, TODAY)
            self.employees = {n: create_employee(company, n.title())
                for n in ROLES}
            for name, role in LADDER.items():
                Employee.write([self.employees[name]], {'sales_role': role})
            Employee.write([self.employees[n] for n in OWNERS], {
                    'supervisor': self.employees['sam'].id,
                    })
            Employee.write([self.employees['sam']], {
                    'supervisor': self.employees['mary'].id,
                    })
            self.team, self.west = Team.create([{
                        'name': "East", 'company': company.id,
                        'start_date': start,
                        'manager': self.employees['mary'].id,
                        'supervisors': [
                            ('add', [self.employees['sam'].id])],
                        'members': [('create', [{
                                        'employee': self.employees[n].id,
                                        'start_date': start,
                                        } for n in ['alice', 'paula']])],
                        }, {
                        'name': "West", 'company': company.id,
                        'start_date': start,
                        }])
            self.users = {}
            for login, group in ROLES.items():
                groups = Group.search([('name', '=', group)])
                self.assertEqual(len(groups), 1, group)
                employee = self.employees[login]
                self.users[login], = User.create([{
                            'login': login,
                            'name': login.title(),
                            'groups': [('add', [g.id for g in groups])],
                            'companies': [('add', [company.id])],
                            'company': company.id,
                            'employees': [('add', [employee.id])],
                            'employee': employee.id,
                            }])
            area, = Area.create([{'name': "Sales Skills"}])
            self.competency, = Competency.create([{
                        'area': area.id, 'name': "Negotiation",
                        'code': 'NEG',
                        }])
            self.course, = Course.create([{
                        'company': company.id,
                        'name': "Negotiation Workshop",
                        'method': 'internal',
                        'hours': Decimal('8'),
                        'cost': Decimal('1500'),
                        'level': 3,
                        'competencies': [('add', [self.competency.id])],
                        }])
        return company

    def as_user(self, login):
        "Act as login with the access checked"
        return acting_as(self.users[login])

    @contextmanager
    def refused(self, exception, *words):
        """The block raises exception with words in its message; what it
        did is rolled back, as the dispatcher rolls back a refused call"""
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        cursor.execute('SAVEPOINT refused')
        with self.assertRaises(exception) as context:
            yield context
        cursor.execute('ROLLBACK TO SAVEPOINT refused')
        cursor.execute('RELEASE SAVEPOINT refused')
        for cache in transaction.cache.values():
            cache.clear()
        message = context.exception.message
        for word in words:
            if isinstance(word, re.Pattern):
                self.assertRegex(message, word)
            else:
                self.assertIn(word, message)

    def session(self, days=-2, capacity=20, course=None):
        """A planned session of the course starting days from now (in the
        past: the session was held)"""
        pool = Pool()
        Session = pool.get('sale.training.session')
        start = (dt.datetime.now() + dt.timedelta(days=days)).replace(
            microsecond=0)
        session, = Session.create([{
                    'company': self.company.id,
                    'course': (course or self.course).id,
                    'start': start,
                    'end': start + dt.timedelta(hours=8),
                    'capacity': capacity,
                    }])
        return session

    def enrolment(self, login, session, attended=False, scores=None):
        """login enrolled in session; attended with the scores (exam,
        practical, feedback) when attended"""
        pool = Pool()
        Enrolment = pool.get('sale.training.enrolment')
        enrolment, = Enrolment.create([{
                    'session': session.id,
                    'employee': self.employees[login].id,
                    }])
        if attended:
            # as the administrator, who is no employee
            Enrolment.attend([enrolment])
            exam, practical, feedback = scores or (
                Decimal('80'), Decimal('70'), Decimal('90'))
            Enrolment.write([enrolment], {
                    'exam_score': exam,
                    'practical_score': practical,
                    'feedback_score': feedback,
                    })
            enrolment = Enrolment(enrolment.id)
            self.assertEqual(enrolment.state, 'attended')
        return enrolment

    def plan(self, budget=Decimal('2000'), cost=Decimal('1500'),
            login='alice', team=None, start_date=TODAY):
        "A draft training plan prepared by login with one course"
        pool = Pool()
        Plan = pool.get('sale.training.plan')
        plan, = Plan.create([{
                    'company': self.company.id,
                    'name': f"Negotiation {budget}",
                    'team': (team or self.team).id,
                    'employee': self.employees[login].id,
                    'start_date': start_date,
                    'end_date': start_date + dt.timedelta(days=10),
                    'budget': budget,
                    'employees': [('add', [
                                self.employees['alice'].id,
                                self.employees['paula'].id])],
                    'courses': [('create', [{
                                    'course': self.course.id,
                                    'cost': cost,
                                    }])],
                    }])
        return plan

    def move(self, login='alice', type_='promotion',
            from_role='salesperson', to_role='supervisor'):
        "A draft career move of login"
        pool = Pool()
        Move = pool.get('sale.career.move')
        move, = Move.create([{
                    'company': self.company.id,
                    'employee': self.employees[login].id,
                    'type': type_,
                    'from_role': from_role,
                    'to_role': to_role,
                    'date': TODAY,
                    'reason': "Leads the key accounts of the region",
                    }])
        return move

    def assessment(self, login, level=2, assessor='sam'):
        "A competency level of login assessed by assessor"
        pool = Pool()
        Assessment = pool.get('sale.competency.assessment')
        assessment, = Assessment.create([{
                    'company': self.company.id,
                    'employee': self.employees[login].id,
                    'competency': self.competency.id,
                    'level': level,
                    'date': TODAY,
                    'assessor': self.employees[assessor].id,
                    }])
        return assessment


class TrainingTestCase(TrainingMixin, test_tryton._DBTestCase):
    "Test training and career development"

    @with_transaction()
    def test_record_rules(self):
        """A salesperson reads their own assessments, enrolments, needs,
        career plans and moves, the supervisor the team's, the manager
        all"""
        pool = Pool()
        Analysis = pool.get('sale.training.need.analysis')
        Need = pool.get('sale.training.need')
        CareerPlan = pool.get('sale.career.plan')
        self.build()
        session = self.session()
        east, west = Analysis.create([{
                    'company': self.company.id,
                    'team': self.team.id,
                    'date': TODAY,
                    'employee': self.employees['sam'].id,
                    }, {
                    'company': self.company.id,
                    'team': self.west.id,
                    'date': TODAY,
                    'employee': self.employees['mary'].id,
                    }])
        records = {model: {} for model in RULED}
        for name in OWNERS:
            records['sale.competency.assessment'][name] = (
                self.assessment(name))
            records['sale.training.enrolment'][name] = self.enrolment(
                name, session)
            records['sale.training.need'][name], = Need.create([{
                        # Bob is in no team: West analysed him
                        'analysis': (west if name == 'bob' else east).id,
                        'employee': self.employees[name].id,
                        'competency': self.competency.id,
                        'source': 'gap',
                        'required_level': 3,
                        'assessed_level': 1,
                        'priority': '1',
                        }])
            records['sale.career.plan'][name], = CareerPlan.create([{
                        'company': self.company.id,
                        'employee': self.employees[name].id,
                        'target_role': 'supervisor',
                        'start_date': TODAY,
                        }])
            records['sale.career.move'][name] = self.move(
                name, type_='rotation', to_role='salesperson')

        for model, by_owner in records.items():
            Model = pool.get(model)
            owners = {r.id: n for n, r in by_owner.items()}
            for login, readers in READERS.items():
                with self.subTest(model=model, user=login):
                    with self.as_user(login):
                        found = Model.search([])
                        self.assertEqual(
                            sorted(owners.get(r.id, str(r.id)) for r in found),
                            sorted(readers))
                        hidden = [i for i, o in owners.items()
                            if o not in readers]
                        if hidden:
                            with self.assertRaises(AccessError):
                                Model.read(hidden, ['employee'])
                        visible = [i for i, o in owners.items()
                            if o in readers]
                        self.assertEqual(
                            {r['id'] for r in Model.read(
                                    visible, ['employee'])},
                            set(visible))

    @with_transaction()
    def test_buttons(self):
        """A salesperson neither submits a training plan, assesses a
        trainee nor confirms a promotion; the supervisor submits and
        assesses, only the manager confirms a promotion"""
        pool = Pool()
        Button = pool.get('ir.model.button')
        Group = pool.get('res.group')
        Employee = pool.get('company.employee')
        Assessment = pool.get('sale.competency.assessment')
        self.build()
        salesperson, = Group.search([('name', '=', "Salesperson")])
        for model, buttons in BUTTONS.items():
            for button in buttons:
                with self.subTest(model=model, button=button):
                    # every button has its groups (DESIGN "Roles")
                    groups = Button.get_groups(model, button)
                    self.assertTrue(groups, f"{model} {button}: no group")
                    self.assertNotIn(salesperson.id, groups)

        session = self.session()
        # the trainee each user assesses: Alice her own (she reads it), Sam
        # and Mary one of their team
        trainees = {'alice': 'alice', 'sam': 'paula', 'mary': 'bob'}
        checked = 0
        for model, buttons in BUTTONS.items():
            Model = pool.get(model)
            for button, allowed in buttons.items():
                for login in CLICKERS:
                    if model == 'sale.training.plan':
                        record = self.plan()
                    elif model == 'sale.training.enrolment':
                        record = self.enrolment(
                            trainees[login], session, attended=True)
                    else:
                        record = self.move()
                    # outside the sub-test, which would swallow the lock
                    # requests that restart the transaction
                    try:
                        with self.as_user(login):
                            getattr(Model, button)([Model(record.id)])
                    except TransactionError:
                        raise
                    except Exception as exception:
                        outcome = exception
                    else:
                        outcome = None
                    with self.subTest(model=model, button=button, user=login):
                        record = Model(record.id)
                        if login not in allowed:
                            # the user reads the record: the button's
                            # groups refuse
                            self.assertIsInstance(
                                outcome, AccessButtonError, repr(outcome))
                            self.assertEqual(record.state, {
                                    'sale.training.plan': 'draft',
                                    'sale.training.enrolment': 'attended',
                                    'sale.career.move': 'draft',
                                    }[model])
                        else:
                            self.assertIsNone(outcome, repr(outcome))
                            employee = self.employees[login]
                            if button == 'submit':
                                self.assertIn(
                                    record.state, {'submitted', 'approved'})
                                self.assertEqual(
                                    record.submitted_by, employee)
                            elif button == 'assess':
                                self.assertEqual(record.state, 'completed')
                                # .5 × 80 + .3 × 70 + .2 × 90
                                self.assertEqual(record.score, Decimal('79'))
                                self.assertEqual(record.result, 'passed')
                                self.assertEqual(record.assessed_by, employee)
                                # the pass raised the trainee's level
                                raised, = Assessment.search([
                                        ('origin', '=', str(record)),
                                        ])
                                self.assertEqual(
                                    raised.employee, record.employee)
                                self.assertEqual(raised.level, 3)
                                self.assertEqual(raised.assessor, employee)
                            else:
                                self.assertEqual(record.state, 'done')
                                self.assertEqual(record.confirmed_by, employee)
                                self.assertEqual(
                                    Employee(record.employee.id).sales_role,
                                    'supervisor')
                    checked += 1
        self.assertEqual(checked, 3 * len(CLICKERS))

    @with_transaction()
    def test_score_range(self):
        "A score of 101 is refused and the score stays"
        pool = Pool()
        Enrolment = pool.get('sale.training.enrolment')
        self.build()
        enrolment = self.enrolment('alice', self.session(), attended=True)
        with self.refused(
                TrainingValidationError, "Exam Score", "101",
                "must be between 0 and 100"):
            Enrolment.write([enrolment], {'exam_score': Decimal('101')})
        with self.refused(
                TrainingValidationError, "Customer Feedback Score", "-1",
                "must be between 0 and 100"):
            Enrolment.write([enrolment], {'feedback_score': Decimal('-1')})
        enrolment = Enrolment(enrolment.id)
        self.assertEqual(enrolment.exam_score, Decimal('80'))
        self.assertEqual(enrolment.feedback_score, Decimal('90'))
        # the bounds are scores
        Enrolment.write([enrolment], {
                'exam_score': Decimal('100'), 'feedback_score': Decimal('0'),
                })

    @with_transaction()
    def test_session_full(self):
        "No more participants than the seats; a cancelled seat is free"
        pool = Pool()
        Enrolment = pool.get('sale.training.enrolment')
        Session = pool.get('sale.training.session')
        self.build()
        session = self.session(capacity=2)
        alice = self.enrolment('alice', session)
        self.enrolment('paula', session)
        with self.refused(
                TrainingValidationError, "is full", "2 seats"):
            self.enrolment('bob', session)
        self.assertEqual(Session(session.id).enrolled, 2)
        self.assertEqual(
            sorted(e.employee.rec_name for e in Enrolment.search([
                        ('session', '=', session.id)])),
            ["Alice", "Paula"])
        Enrolment.cancel([alice])
        bob = self.enrolment('bob', session)
        # Alice enrolled again takes a third seat
        with self.refused(TrainingValidationError, "is full"):
            Enrolment.reset([Enrolment(alice.id)])
        self.assertEqual(Enrolment(alice.id).state, 'cancelled')
        self.assertEqual(Enrolment(bob.id).state, 'enrolled')

    @with_transaction()
    def test_session_not_held(self):
        "Attendance of a session starting tomorrow is refused"
        pool = Pool()
        Enrolment = pool.get('sale.training.enrolment')
        self.build()
        enrolment = self.enrolment('alice', self.session(days=1))
        for button in ['attend', 'absent']:
            with self.subTest(button=button):
                with self.refused(
                        TrainingError, "has not started yet",
                        "Negotiation Workshop"):
                    getattr(Enrolment, button)([enrolment])
                enrolment = Enrolment(enrolment.id)
                self.assertEqual(enrolment.state, 'enrolled')
                self.assertIsNone(enrolment.attendance_at)

    @with_transaction()
    def test_plan_over_budget(self):
        "A plan whose courses cost more than its budget is not submitted"
        pool = Pool()
        Plan = pool.get('sale.training.plan')
        self.build()
        plan = self.plan(budget=Decimal('1000'), cost=Decimal('1500'))
        with self.refused(
                TrainingError, "more than its budget",
                re.compile(amount_pattern(Decimal('1500'))),
                re.compile(amount_pattern(Decimal('1000')))):
            Plan.submit([plan])
        plan = Plan(plan.id)
        self.assertEqual(plan.state, 'draft')
        self.assertIsNone(plan.submitted_at)
        self.assertEqual(plan.approvals, ())
        # within the budget it goes
        Plan.write([plan], {'budget': Decimal('1500')})
        Plan.submit([plan])
        self.assertIn(Plan(plan.id).state, {'submitted', 'approved'})

    @with_transaction()
    def test_assess_own_training(self):
        "Nobody assesses their own training, even with the button"
        pool = Pool()
        Enrolment = pool.get('sale.training.enrolment')
        Assessment = pool.get('sale.competency.assessment')
        self.build()
        enrolment = self.enrolment('sam', self.session(), attended=True)
        with self.refused(
                TrainingError, "You cannot assess your own training",
                "Sam"):
            with self.as_user('sam'):
                Enrolment.assess([Enrolment(enrolment.id)])
        enrolment = Enrolment(enrolment.id)
        self.assertEqual(enrolment.state, 'attended')
        self.assertIsNone(enrolment.score)
        self.assertIsNone(enrolment.result)
        self.assertEqual(Assessment.search([]), [])

    @with_transaction()
    def test_assess_self(self):
        "Nobody assesses their own competency level"
        pool = Pool()
        Assessment = pool.get('sale.competency.assessment')
        self.build()
        with self.refused(
                TrainingValidationError, "Alice",
                "cannot assess their own competency level"):
            self.assessment('alice', assessor='alice')
        self.assertEqual(Assessment.search([]), [])
        assessment = self.assessment('alice')
        with self.refused(
                TrainingValidationError,
                "cannot assess their own competency level"):
            Assessment.write([assessment], {
                    'assessor': self.employees['alice'].id,
                    })
        self.assertEqual(
            Assessment(assessment.id).assessor, self.employees['sam'])

    @with_transaction()
    def test_course_weights(self):
        "The weights of a course's scores add up to 100"
        pool = Pool()
        Course = pool.get('sale.training.course')
        self.build()
        with self.refused(
                TrainingValidationError, "Phone Prospecting",
                "must be positive and add up to 100, not 90"):
            Course.create([{
                        'company': self.company.id,
                        'name': "Phone Prospecting",
                        'hours': Decimal('4'),
                        'cost': Decimal('300'),
                        'exam_weight': 50,
                        'practical_weight': 30,
                        'feedback_weight': 10,
                        }])
        self.assertEqual(
            Course.search([('name', '=', "Phone Prospecting")]), [])
        with self.refused(
                TrainingValidationError, "add up to 100, not 110"):
            Course.write([self.course], {'exam_weight': 60})
        # a negative weight is refused even when the sum is 100
        with self.refused(
                TrainingValidationError, "must be positive"):
            Course.write([self.course], {
                    'exam_weight': 110, 'feedback_weight': -40,
                    })
        course = Course(self.course.id)
        self.assertEqual(
            (course.exam_weight, course.practical_weight,
                course.feedback_weight),
            (50, 30, 20))

    @with_transaction()
    def test_promotion_up(self):
        "A promotion leads up the ladder"
        pool = Pool()
        Move = pool.get('sale.career.move')
        self.build()
        with self.refused(
                TrainingValidationError, "Sam",
                "must lead to a higher step of the ladder"):
            self.move(
                'sam', from_role='supervisor', to_role='salesperson')
        with self.refused(
                TrainingValidationError, "must lead to a higher step"):
            self.move(
                'sam', from_role='supervisor', to_role='supervisor')
        self.assertEqual(Move.search([]), [])
        move = self.move('alice')
        with self.refused(
                TrainingValidationError, "must lead to a higher step"):
            Move.write([move], {'to_role': 'salesperson'})
        self.assertEqual(Move(move.id).to_role, 'supervisor')
        # a rotation keeps the step
        self.move('paula', type_='rotation', to_role='salesperson')

    @with_transaction()
    def test_plan_expense_budget(self):
        """A submitted plan commits its budget in the training expense
        budget of its team; a plan above what is left is refused and a
        cancelled plan frees its amount"""
        pool = Pool()
        Account = pool.get('account.account')
        Configuration = pool.get('sale.configuration')
        Category = pool.get('sale.expense.category')
        Budget = pool.get('sale.expense.budget')
        Period = pool.get('sale.expense.budget.period')
        Request = pool.get('approval.request')
        Plan = pool.get('sale.training.plan')
        self.build(chart=True)
        with set_company(self.company):
            expense, = Account.search([
                    ('type.expense', '=', True),
                    ('company', '=', self.company.id),
                    ('closed', '!=', True),
                    ], limit=1)
            training, = Category.create([{
                        'name': "Training", 'code': 'TRN',
                        'account': expense.id,
                        }])
            Configuration.write([Configuration(1)], {
                    'training_expense_category': training.id,
                    })
            # 60000 over the months of the year: 5000 a month
            budget, = Budget.create([{
                        'fiscalyear': self.fiscalyear.id,
                        'team': self.team.id,
                        'employee': self.employees['sam'].id,
                        'split': 'month',
                        'lines': [('create', [{
                                        'category': training.id,
                                        'amount': Decimal('60000'),
                                        }])],
                        }])
            Budget.split_periods([budget])
            Budget.submit([budget])
            with Transaction().set_user(self.users['mary'].id), \
                    Transaction().set_context(
                        employee=self.employees['mary'].id):
                Request.approve(Request.browse(Budget(budget.id).approvals))
            self.assertEqual(Budget(budget.id).state, 'approved')
        period, = Period.search([
                ('budget', '=', budget.id),
                ('start_date', '<=', TODAY),
                ('end_date', '>=', TODAY),
                ])
        self.assertEqual(period.amount, Decimal('5000'))
        self.assertEqual(period.remaining, Decimal('5000'))

        def figures():
            period_ = Period(period.id)
            return period_.committed, period_.remaining

        first = self.plan(
            budget=Decimal('3000'), cost=Decimal('3000'), login='sam',
            start_date=TODAY - dt.timedelta(days=5))
        Plan.submit([first])
        first = Plan(first.id)
        self.assertIn(first.state, {'submitted', 'approved'})
        self.assertEqual(first.budget_period, period)
        self.assertEqual(figures(), (Decimal('3000'), Decimal('2000')))

        second = self.plan(
            budget=Decimal('2500'), cost=Decimal('2500'), login='sam',
            start_date=TODAY + dt.timedelta(days=5))
        with self.refused(
                TrainingError, "has only",
                re.compile(amount_pattern(Decimal('2000')) + r'\D*left'),
                re.compile(r'needs \D*' + amount_pattern(Decimal('2500')))):
            Plan.submit([second])
        second = Plan(second.id)
        self.assertEqual(second.state, 'draft')
        self.assertIsNone(second.budget_period)
        self.assertEqual(second.approvals, ())
        self.assertEqual(figures(), (Decimal('3000'), Decimal('2000')))

        # the cancelled plan gives its amount back
        Plan.cancel([first])
        first = Plan(first.id)
        self.assertEqual(first.state, 'cancelled')
        self.assertIsNone(first.budget_period)
        self.assertEqual(figures(), (Decimal('0'), Decimal('5000')))
        Plan.submit([second])
        self.assertEqual(Plan(second.id).budget_period, period)
        self.assertEqual(figures(), (Decimal('2500'), Decimal('2500')))
