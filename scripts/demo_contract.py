# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Demo of P3.3: contracts in every state, signing delegations, and orders
confirmed against an active contract"""
import datetime as dt
from decimal import Decimal

CLAUSES = [
    ("Quality", "Goods conform to GB/T standards and the agreed "
        "technical annex; the customer inspects within 7 days."),
    ("Late Delivery", "0.5 % of the amount per week of delay, at most 5 %."),
    ("Warranty", "Twelve months from acceptance, parts and labour."),
    ("Disputes", "Shanghai International Arbitration Centre."),
    ]


def load(ctx):
    "Contracts of the East team from draft to closed"
    from proteus import Model, Wizard
    from trytond.tests.tools import set_user

    User = Model.get('res.user')
    Contract = Model.get('sale.contract')
    Delegation = Model.get('sale.contract.delegation')
    Request = Model.get('approval.request')
    Sale = Model.get('sale.sale')
    Configuration = Model.get('sale.configuration')
    admin = ctx.config.user
    users = {u.login: u for u in User.find([('login', 'in', [
                    'salesperson', 'liu.fang', 'supervisor', 'legal',
                    'signatory', 'manager'])])}
    today = ctx.today

    configuration = Configuration(1)
    configuration.contract_threshold = Decimal('200000')
    configuration.save()

    # The manager delegates signing up to ¥1,000,000 for this year; last
    # year's delegation was revoked
    set_user(users['manager'])
    signatory = ctx.employees['signatory']
    old = Delegation(employee=signatory, amount_limit=Decimal('300000'),
        start_date=today - dt.timedelta(days=400),
        end_date=today - dt.timedelta(days=35))
    old.click('grant')
    old.click('revoke')
    current = Delegation(employee=signatory, amount_limit=Decimal('1000000'),
        start_date=today - dt.timedelta(days=35),
        end_date=today + dt.timedelta(days=330))
    current.click('grant')

    goods = [p for p in ctx.products if p.template.type == 'goods']
    east = [p for p, region in ctx.customers if region == 'E']
    term = ctx.payment_terms["30% advance, balance at 60 days"]

    def quotation(login, customer, quantity, product=goods[0]):
        set_user(users[login])
        sale = Sale(party=customer, payment_term=term,
            description=f"{product.template.name} × {quantity}",
            shipping_date=today + dt.timedelta(days=45))
        line = sale.lines.new(product=product)
        line.quantity = quantity
        sale.save()
        sale.click('quote')
        return sale

    def draft(login, sale):
        set_user(users[login])
        Wizard('sale.contract.create', [sale])
        contract, = Contract.find([('sales', 'in', [sale.id])])
        contract.delivery_terms = (
            f"Delivery by {sale.shipping_date}, DAP customer site; "
            "installation within 10 days of delivery.")
        contract.after_sales_terms = (
            "Two years warranty, on-site service within 48 hours.")
        for title, text in CLAUSES:
            contract.clauses.new(title=title, text=text)
        contract.document = b'%PDF-1.4 draft contract (demo)'
        contract.document_name = f'contract-{sale.id}.pdf'
        contract.save()
        return contract

    def submit(contract):
        set_user(users['salesperson'])
        contract = Contract(contract.id)
        contract.click('submit')
        return contract

    def legal(contract, reject=None):
        set_user(users['legal'])
        contract = Contract(contract.id)
        if not reject:
            contract.check_legality = True
            contract.check_completeness = True
            contract.check_accuracy = True
            contract.save()
        request, = [r for r in contract.approvals if r.state == 'waiting']
        request = Request(request.id)
        request.comment = reject or "Legal, complete and accurate."
        request.click('reject' if reject else 'approve')

    def sign(contract, login='signatory', customer=True):
        set_user(users[login])
        contract = Contract(contract.id)
        contract.signed_document = (
            f'%PDF-1.4 {contract.number} signed by both sides'.encode())
        contract.signed_document_name = f'{contract.number}-signed.pdf'
        contract.save()
        contract.click('sign')
        if customer:
            set_user(users['salesperson'])
            contract = Contract(contract.id)
            contract.customer_signed = True
            contract.customer_signed_date = today
            contract.save()
            contract.click('activate')
        return contract

    # Active, with its order confirmed against it
    sale = quotation('salesperson', east[0], 20)
    active = submit(draft('salesperson', sale))
    legal(active)
    sign(active)
    set_user(users['salesperson'])
    Sale(sale.id).click('confirm')

    # Signed by the manager then changed: version 2 replaced version 1
    sale = quotation('salesperson', east[1], 25, goods[4])
    changed = submit(draft('salesperson', sale))
    legal(changed)
    changed = sign(changed, login='manager')
    set_user(users['salesperson'])
    Contract(changed.id).click('new_version')
    version2, = Contract(changed.id).next_versions
    version2.delivery_terms = "Two deliveries: 60 % in 30 days, 40 % in 60."
    version2.save()
    submit(version2)
    legal(version2)
    sign(version2, login='manager')

    # Approved, waiting for the signatory
    sale = quotation('salesperson', east[2], 18)
    legal(submit(draft('salesperson', sale)))

    # In the legal reviewer's inbox
    sale = quotation('salesperson', east[3], 22)
    submit(draft('salesperson', sale))

    # Large: waiting for the supervisor Li Na before legal
    sale = quotation('salesperson', east[4], 50)
    submit(draft('salesperson', sale))

    # Rejected by legal, back with the salesperson
    sale = quotation('salesperson', east[5], 16, goods[4])
    legal(submit(draft('salesperson', sale)),
        reject="The penalty clause caps at 5 %; the policy asks for 10 %.")

    # Cancelled, and a fresh draft of another salesperson
    sale = quotation('salesperson', east[6], 17)
    cancelled = draft('salesperson', sale)
    cancelled.click('cancel')
    sale = quotation('liu.fang', east[7], 19, goods[4])
    draft('liu.fang', sale)

    set_user(admin)
