# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Driving Tryton's web client (sao) in Debian's headless Chromium with
Playwright, as a user does: the menu, the toolbar, the fields and buttons of
the open tab, the dialogs.  Any page error or error dialog fails the step
that caused it."""
import os
import re
import shutil
from pathlib import Path

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:
    PlaywrightTimeout = None

CHROMIUM = shutil.which('chromium') or '/usr/bin/chromium'
# the system Chromium as TRYTON-NOTES measured it; nothing is downloaded
ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--disable-dev-shm-usage']
TIMEOUT = 30_000
BUSY = 180_000


def browser_missing():
    "Why the browser cannot run here, or None"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed"
    if not Path(CHROMIUM).exists():
        return "Chromium is not installed (apt-get install chromium)"
    return None


def launch(playwright):
    return playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=ARGS)


class WebClientError(AssertionError):
    pass


class Session:
    "One user's web client in its own browser context"

    def __init__(self, browser, server, login, shots):
        self.server = server
        self.login_name = login
        self.shots = shots
        self.context = browser.new_context(
            viewport={'width': 1400, 'height': 900}, locale='en-US')
        self.context.set_default_timeout(TIMEOUT)
        self.page = self.context.new_page()
        self.errors = []
        self.page.on('pageerror', lambda e: self.errors.append(str(e)))
        # sao shows its "Processing" only after 3 s: count its calls
        self.pending = set()
        self.page.on('request', self._sent)
        self.page.on('requestfinished', self._done)
        self.page.on('requestfailed', self._done)
        self.login()

    def close(self):
        self.context.close()

    def _sent(self, request):
        if '/rpc/' in request.url or request.url.endswith('/rpc'):
            self.pending.add(request)

    def _done(self, request):
        self.pending.discard(request)

    def check(self):
        "Fail on a script error of the page or an error dialog"
        if self.errors:
            errors, self.errors = self.errors, []
            raise WebClientError(f"page error: {errors}")
        dialog = self.page.locator(
            '.error-dialog:visible, .warning-dialog:visible')
        if dialog.count():
            raise WebClientError(
                f"error dialog: {dialog.first.inner_text()}")

    def login(self):
        page = self.page
        page.goto(f'{self.server.url}/#{self.server.database}')
        page.wait_for_selector('.login-dialog #login')
        # typed before sao binds the dialog, the login is lost
        page.wait_for_timeout(500)
        page.fill('.login-dialog #login', self.login_name)
        page.press('.login-dialog #login', 'Enter')
        password = page.locator('#ask-dialog-entry[type=password]')
        password.wait_for()
        password.fill(self.server.password)
        password.press('Enter')
        page.locator('#menu tr:visible').first.wait_for()
        self.check()

    @property
    def pane(self):
        return self.page.locator('#tabcontent > .tab-pane.active')

    def menu(self, *path):
        "Open a menu entry by the names on its path"
        tabs = self.page.locator('#tablist li').count()
        after = -1
        for name in path:
            rows = self.page.locator('#menu tr:visible')
            # the entry below the previous one (a folder and its entry may
            # share their name), once the folder has loaded it
            for _ in range(50):
                texts = [t.strip() for t in rows.all_inner_texts()]
                if name in texts[after + 1:]:
                    break
                self.page.wait_for_timeout(200)
            after = texts.index(name, after + 1)
            rows.nth(after).click()
        self._wait_tab(tabs)

    def _wait_tab(self, tabs):
        self.page.wait_for_function(
            f"document.querySelectorAll('#tablist li').length > {tabs}")
        self.wait_idle()

    def open(self, model, record_id=None):
        "Open a model's list, or one record's form, by its address"
        tabs = self.page.locator('#tablist li').count()
        address = f'{self.server.url}/#{self.server.database}/model/{model}'
        if record_id:
            address += f'/{record_id}'
        self.page.goto(address)
        self._wait_tab(tabs)

    def wait_idle(self):
        "Wait until sao has no request running"
        quiet = 0
        # a confirmed order is processed (invoice, shipment, plan) within
        # its call: minutes on a loaded machine
        for _ in range(BUSY // 100):
            self.page.wait_for_timeout(100)
            quiet = 0 if self.pending else quiet + 1
            # a reply often triggers the next call: idle once it stays so
            if quiet >= 4:
                break
        else:
            raise WebClientError("the web client stays busy")
        self.check()

    @property
    def scope(self):
        "The form of the open dialog, else the open tab"
        return self.page.locator(self._scope_selector()).last

    def field(self, name):
        "The input of a field of the open form"
        return self.scope.locator(
            f'.form-item [name="{name}"]:not([type=hidden]):visible').first

    def set(self, name, value):
        """Type a value into a field; a Many2One takes the record its
        completion offers by that name"""
        field = self.field(name)
        kind = field.evaluate(
            "e => e.tagName == 'SELECT' ? 'select'"
            " : e.closest('.form-many2one') ? 'many2one' : 'input'")
        if kind == 'select':
            field.select_option(label=value)
        elif kind == 'many2one':
            for _ in range(3):
                self._set_many2one(field, value)
                # typed text alone shows no record: sao offers to open one
                if value in field.input_value() and field.locator(
                        'xpath=..').locator('button[title="Open the record"]'
                        ).is_visible():
                    break
            else:
                raise WebClientError(f"{name}: no record named {value!r}")
        else:
            # numbers swap their formatted input for a number input on
            # focus: type where the focus goes
            field.click()
            self.page.keyboard.press('Control+A')
            self.page.keyboard.type(value)
            self.page.keyboard.press('Tab')
        self.wait_idle()

    def _set_many2one(self, field, value):
        dialogs = self.page.locator('.modal.in:visible')
        opened = dialogs.count()
        scope = self.scope
        field.fill('')
        field.click()
        field.press_sequentially(value, delay=20)
        choice = scope.locator('.dropdown-completion:visible li'
            ':not(.dropdown-header)').filter(has_text=value).first
        try:
            choice.wait_for(timeout=5000)
            choice.click()
        except PlaywrightTimeout:
            # without completion, leaving the field searches the text
            field.press('Tab')
            self.wait_idle()
            if dialogs.count() > opened:
                dialogs.last.locator('tbody tr').filter(
                    has_text=value).first.dblclick()
        self.wait_idle()

    def upload(self, name, path):
        "Choose a file for a binary field"
        self.scope.locator(f'.form-binary:has([name="{name}"]) '
            'input[type=file]').first.set_input_files(str(path))
        self.wait_idle()

    def reload(self):
        self.toolbar('reload')

    def tick(self, name):
        self.field(name).check()
        self.wait_idle()

    def tab(self, name):
        "Show a page of the form's notebook, or a tab of the list"
        self.scope.locator('.nav-tabs a').filter(
            has_text=re.compile(f'^{re.escape(name)}(\\s|$)')).first.click()
        self.wait_idle()

    def button(self, name):
        "Click a button of the form by its name"
        self.scope.locator(f'button[name="{name}"]:visible').first.click()
        self.wait_idle()

    def add(self, label):
        "Add a record to the One2Many field of that label, in its dialog"
        self.one2many(label).locator('button[title="New"]').first.click()
        self.wait_idle()

    def one2many(self, label):
        return self.scope.locator('.form-one2many:visible').filter(
            has=self.page.locator('.form-one2many-string', has_text=label)
            ).first

    def dialog_button(self, label):
        "Click a button of the open dialog by its label"
        self.page.locator('.modal.in:visible').last.get_by_role(
            'button', name=label, exact=True).first.click()
        self.wait_idle()

    def toolbar(self, button_id):
        self.pane.locator(f'[id="{button_id}"]:visible').first.click()
        self.wait_idle()

    def new(self):
        self.toolbar('new_')

    def save(self):
        self.toolbar('save')
        self.check()

    def action(self, name):
        "Launch an action of the record from the toolbar's actions menu"
        self.pane.locator('[id="action"]:visible').first.click()
        self.page.locator('.dropdown-menu:visible a').filter(
            has_text=name).first.click()
        self.wait_idle()

    def text(self):
        return self.pane.inner_text()

    def expect(self, *texts):
        "The open tab (or dialog) shows each text, as text or field value"
        for text in texts:
            self.scope.wait_for(state='visible')
            try:
                self.page.wait_for_function(
                    """([scope, text]) => {
                        const pane = document.querySelectorAll(scope);
                        const el = pane[pane.length - 1];
                        if (!el) return false;
                        if (el.innerText.includes(text)) return true;
                        return [...el.querySelectorAll('input, textarea')]
                            .some(i => i.offsetParent && i.value.includes(
                                text));
                    }""", arg=[self._scope_selector(), text],
                    timeout=TIMEOUT)
            except PlaywrightTimeout:
                raise WebClientError(f"{text!r} not shown") from None

    def expect_cell(self, text):
        "A cell of a list of the open tab (or dialog) shows exactly the text"
        try:
            self.scope.locator('td:visible').filter(has_text=re.compile(
                    rf'^\s*{re.escape(text)}\s*$')).first.wait_for()
        except PlaywrightTimeout:
            raise WebClientError(f"no cell {text!r}") from None

    def _scope_selector(self):
        "CSS of scope, for the page's own scripts"
        if self.page.locator('.modal.in:visible').count():
            return '.modal.in'
        return '#tabcontent > .tab-pane.active'

    def row(self, text):
        "Open the row of the list that shows the text"
        row = self.pane.locator('tbody tr:visible').filter(
            has_text=text).first
        # a link opens its own record: open from a plain cell, else from
        # a cell's corner, beside its link
        plain = row.locator('td[data-title]:visible:not(:has(a))')
        if plain.count():
            plain.first.dblclick()
        else:
            row.locator('td[data-title]:visible').first.dblclick(
                position={'x': 2, 'y': 2})
        self.wait_idle()

    def shoot(self, name):
        path = Path(self.shots) / f'{name}.png'
        self.page.screenshot(path=str(path), animations='disabled')
        return path


def screenshots_folder(root):
    # one folder per backend: CI runs both at once
    backend = os.environ.get('TRYTOND_DATABASE__URI', 'sqlite').split(':')[0]
    folder = Path(os.environ.get(
            'SALES_OPS_SCREENSHOTS', root / 'var' / 'screenshots' / backend))
    folder.mkdir(parents=True, exist_ok=True)
    return folder
