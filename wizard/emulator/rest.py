"""Plivo's REST surface for everything byon touches (shared/reference/plivo-api.md)."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from wizard.emulator.callrecords import routes as call_record_routes
from wizard.emulator.httputil import (
    ApiError,
    answer,
    basic_auth_ok,
    get_bool,
    get_method,
    get_str,
    get_url,
    paginate,
    read_body,
)
from wizard.emulator.rules import (
    ACL_QUOTA,
    APP_NAME_RE,
    CREDENTIAL_QUOTA,
    USERNAME_RE,
    check_password,
    parse_acl_entries,
)
from wizard.emulator.shapes import available_out, number_out
from wizard.emulator.state import REALM, ha1, new_application, new_number
from wizard.numbers import digits_only
from wizard.plivo.facts import AUTH_TYPES, sip_uri, uses_credential, uses_ip_acl

if TYPE_CHECKING:
    from wizard.emulator.server import Emulator

ACCOUNT_IN_PATH = re.compile(r"^/v1/Account/([^/]*)")
# Assumption (plivo-api.md section 12): the IP ACL path and its field names.
ACL_PATH = "SipAuth/IPAccessControlList"
CREDENTIAL_PATH = "SipAuth/Credential"


class RestApi:
    """Handlers for ``/v1/Account/{auth_id}/...``; ``emu`` owns the state."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu

    @property
    def st(self):
        """The current account state; looked up each time because a reset replaces it."""
        return self.emu.state

    # --- shapes --------------------------------------------------------------------------
    @property
    def prefix(self) -> str:
        """The account's REST prefix ``/v1/Account/{auth_id}/``, for ``resource_uri`` fields."""
        return f"/v1/Account/{self.st.auth_id}/"

    def app_out(self, app: dict[str, Any]) -> dict[str, Any]:
        """An application as Plivo returns it: the stored fields plus sip_uri and resource_uri."""
        out = dict(app)
        out["sip_uri"] = sip_uri(app["app_id"])
        out["resource_uri"] = f"{self.prefix}Application/{app['app_id']}/"
        return out

    def cred_out(self, cred: dict[str, Any]) -> dict[str, Any]:
        """A credential as Plivo returns it: uuid, username, realm, resource_uri; never the HA1."""
        return {
            "credential_uuid": cred["credential_uuid"],
            "username": cred["username"],
            "realm": cred["realm"],
            "resource_uri": f"{self.prefix}{CREDENTIAL_PATH}/{cred['credential_uuid']}/",
        }

    def acl_out(self, acl: dict[str, Any]) -> dict[str, Any]:
        """An IP ACL in the assumed shape (plivo-api.md section 12) with its resource_uri."""
        return {
            "ip_acl_uuid": acl["ip_acl_uuid"],
            "name": acl["name"],
            "ip_addresses": list(acl["ip_addresses"]),
            "resource_uri": f"{self.prefix}{ACL_PATH}/{acl['ip_acl_uuid']}/",
        }

    def number_out(self, num: dict[str, Any]) -> dict[str, Any]:
        """A rented number in Plivo's Number shape."""
        return number_out(num, self.prefix)

    def available_out(self, item: dict[str, Any]) -> dict[str, Any]:
        """A purchasable number in Plivo's PhoneNumber search shape."""
        return available_out(item, self.prefix)

    # --- auth ------------------------------------------------------------------------------
    def authenticate(self, request: web.Request) -> None:
        """401 unless the request carries the account's Basic auth and its own auth_id in the
        path (another account's id: 401 too, which emulator.md allows)."""
        ok = basic_auth_ok(request, self.st.auth_id, self.st.auth_token)
        if not ok:
            challenge = {"WWW-Authenticate": 'Basic realm="Plivo"'}
            raise ApiError(401, "Authentication failed", challenge)
        match = ACCOUNT_IN_PATH.match(request.path)
        if match is None or match.group(1) != self.st.auth_id:
            # Guess: valid credentials with another account's id in the path answer 401.
            raise ApiError(401, "Authentication failed")

    # --- account ---------------------------------------------------------------------------
    async def account_get(self, request: web.Request) -> web.Response:
        """GET Account/: the account's details with its resource_uri."""
        out = dict(self.st.account)
        out["resource_uri"] = self.prefix
        return answer(200, out)

    async def account_update(self, request: web.Request) -> web.Response:
        """POST Account/: change name, city and/or address; 202 "changed" as Plivo answers."""
        body = await read_body(request)
        changes = {k: get_str(body, k) for k in ("name", "city", "address")}
        changes = {k: v for k, v in changes.items() if v is not None}
        self.st.account.update(changes)
        self.emu.changed()
        return answer(202, {"message": "changed"})

    # --- applications ----------------------------------------------------------------------
    def _app(self, app_id: str) -> dict[str, Any]:
        app = self.st.applications.get(app_id)
        if app is None:
            raise ApiError(404, "Application not found")
        return app

    def _app_fields(self, body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
        """Validated changes; raises before anything is changed."""
        fields: dict[str, Any] = {}
        name = get_str(body, "app_name", required=current is None)
        if name is not None:
            if not APP_NAME_RE.match(name):
                raise ApiError(
                    400, "app_name may only contain letters, digits, '-' and '_' (1-255 characters)"
                )
            fields["app_name"] = name
        # Guess: answer_url is optional on create, as in the SDK (the docs call it required).
        for key in ("answer_url", "hangup_url", "fallback_answer_url", "message_url"):
            value = get_url(body, key)
            if value is not None:
                fields[key] = value
        for key in ("answer_method", "hangup_method", "fallback_method", "message_method"):
            value = get_method(body, key)
            if value is not None:
                fields[key] = value
        for key in (
            "default_number_app", "default_endpoint_app", "log_incoming_messages", "public_uri",
        ):  # fmt: skip
            value = get_bool(body, key)
            if value is not None:
                fields[key] = value
        # Assumption (plivo-api.md section 12): SIP auth fields as plain JSON fields.
        auth_type = get_str(body, "sip_auth_type", nullable=True)
        acl_uuid = get_str(body, "ip_acl_uuid", nullable=True)
        cred_uuid = get_str(body, "credential_uuid", nullable=True)
        if auth_type is not None and auth_type not in ("", *AUTH_TYPES):
            raise ApiError(
                400,
                "sip_auth_type must be one of ip_acl, credential, ip_acl_and_credential, or empty",
            )
        if acl_uuid and acl_uuid not in self.st.ip_acls:
            raise ApiError(400, f"ip_acl_uuid {acl_uuid} does not match any IP access control list")
        if cred_uuid and cred_uuid not in self.st.credentials:
            raise ApiError(400, f"credential_uuid {cred_uuid} does not match any credential")
        if auth_type == "":
            # Guess: clearing the auth type also releases both uuids, so they can be deleted.
            fields.update(sip_auth_type="", ip_acl_uuid="", credential_uuid="")
            return fields
        if acl_uuid is not None:
            fields["ip_acl_uuid"] = acl_uuid
        if cred_uuid is not None:
            fields["credential_uuid"] = cred_uuid
        if auth_type is not None:
            fields["sip_auth_type"] = auth_type
        merged = {**(current or {}), **fields}
        final_type = merged.get("sip_auth_type") or ""
        if uses_ip_acl(final_type) and not merged.get("ip_acl_uuid"):
            raise ApiError(400, f"sip_auth_type {final_type} needs an ip_acl_uuid")
        if uses_credential(final_type) and not merged.get("credential_uuid"):
            raise ApiError(400, f"sip_auth_type {final_type} needs a credential_uuid")
        return fields

    async def app_create(self, request: web.Request) -> web.Response:
        """POST Application/: 201 ``{message, app_id}``. answer_url is optional (as in the SDK)
        and sip_auth_type/ip_acl_uuid/credential_uuid are JSON fields (plivo-api.md 12)."""
        body = await read_body(request)
        fields = self._app_fields(body, None)
        # Guess: Plivo allows two applications with the same app_name.
        app_id = self.emu.ids.app_id()
        while app_id in self.st.applications:
            app_id = self.emu.ids.app_id()
        app = new_application(app_id, fields)
        if app["default_app"]:
            # Guess: one default number application per account; the newest wins.
            for other in self.st.applications.values():
                other["default_app"] = False
        self.st.applications[app_id] = app
        self.emu.changed()
        return answer(201, {"message": "created", "app_id": app_id})

    async def app_list(self, request: web.Request) -> web.Response:
        """GET Application/: a page of applications; app_name filters by exact match (a guess)."""
        apps = list(self.st.applications.values())
        name = request.query.get("app_name")
        if name:
            # Guess: the app_name filter is an exact match.
            apps = [a for a in apps if a["app_name"] == name]
        page = paginate(request, [self.app_out(a) for a in apps], f"{self.prefix}Application/")
        return answer(200, page)

    async def app_get(self, request: web.Request) -> web.Response:
        """GET Application/{app_id}/: one application, 404 when unknown."""
        return answer(200, self.app_out(self._app(request.match_info["id"])))

    async def app_update(self, request: web.Request) -> web.Response:
        """POST Application/{app_id}/: 202 "changed"; ``default_number_app`` true makes it the
        account's only default number app."""
        app = self._app(request.match_info["id"])
        body = await read_body(request)
        fields = self._app_fields(body, app)
        if "default_number_app" in fields:
            fields["default_app"] = fields.pop("default_number_app")
            if fields["default_app"]:
                for other in self.st.applications.values():
                    other["default_app"] = False
        app.update(fields)
        self.emu.changed()
        return answer(202, {"message": "changed"})

    async def app_delete(self, request: web.Request) -> web.Response:
        """DELETE Application/{app_id}/: 204; its numbers become unassigned (a guess) and
        ``cascade``/``new_endpoint_application`` are ignored."""
        app_id = request.match_info["id"]
        self._app(app_id)
        await read_body(request)  # cascade / new_endpoint_application are accepted and ignored
        del self.st.applications[app_id]
        for num in self.st.numbers.values():
            if num.get("app_id") == app_id:
                # Guess: numbers pointing at a deleted application become unassigned.
                num["app_id"] = ""
        self.emu.changed()
        return answer(204)

    # --- credentials -----------------------------------------------------------------------
    def _cred(self, cred_uuid: str) -> dict[str, Any]:
        cred = self.st.credentials.get(cred_uuid)
        if cred is None:
            raise ApiError(404, "Credential not found")
        return cred

    async def cred_create(self, request: web.Request) -> web.Response:
        """POST SipAuth/Credential/: 201 with the object; the password is kept only as its HA1.
        409 on a taken username, 400 past the quota of 200."""
        body = await read_body(request)
        username = get_str(body, "username", required=True)
        password = get_str(body, "password", required=True)
        assert username is not None and password is not None
        if not USERNAME_RE.match(username):
            raise ApiError(
                400, "username must be 3 to 64 characters: letters, digits, '.', '_' or '-'"
            )
        check_password(password)
        if any(c["username"] == username for c in self.st.credentials.values()):
            raise ApiError(409, f"a credential with username {username} already exists")
        if len(self.st.credentials) >= CREDENTIAL_QUOTA:
            raise ApiError(400, f"credential limit reached: at most {CREDENTIAL_QUOTA} per account")
        cred_uuid = self.emu.ids.uuid()
        cred = {
            "credential_uuid": cred_uuid,
            "username": username,
            "realm": REALM,
            "ha1": ha1(username, password),
        }
        self.st.credentials[cred_uuid] = cred
        self.emu.changed()
        # Assumption (plivo-api.md section 12): 201 with the uuid and the object fields.
        # Guess: the message text.
        return answer(201, {"message": "Credential created successfully.", **self.cred_out(cred)})

    async def cred_list(self, request: web.Request) -> web.Response:
        """GET SipAuth/Credential/: a page of credentials, never with a password or HA1."""
        items = [self.cred_out(c) for c in self.st.credentials.values()]
        return answer(200, paginate(request, items, f"{self.prefix}{CREDENTIAL_PATH}/"))

    async def cred_get(self, request: web.Request) -> web.Response:
        """GET SipAuth/Credential/{uuid}/: one credential (no HA1), 404 when unknown."""
        return answer(200, self.cred_out(self._cred(request.match_info["id"])))

    async def cred_update(self, request: web.Request) -> web.Response:
        """POST SipAuth/Credential/{uuid}/: a new password only; Plivo refuses a username change."""
        cred = self._cred(request.match_info["id"])
        body = await read_body(request)
        username = get_str(body, "username")
        if username is not None and username != cred["username"]:
            raise ApiError(400, "username cannot be changed; create a new credential instead")
        password = get_str(body, "password", required=True)
        assert password is not None
        check_password(password)
        cred["ha1"] = ha1(cred["username"], password)
        self.emu.changed()
        return answer(202, {"message": "changed"})

    async def cred_delete(self, request: web.Request) -> web.Response:
        """DELETE SipAuth/Credential/{uuid}/: 204, or 409 while an application uses it."""
        cred_uuid = request.match_info["id"]
        self._cred(cred_uuid)
        users = self.st.apps_using_credential(cred_uuid)
        if users:
            raise ApiError(
                409,
                f"credential is in use by application {', '.join(users)}; "
                "set that application's sip_auth_type to empty first",
            )
        del self.st.credentials[cred_uuid]
        self.emu.changed()
        return answer(204)

    # --- IP ACLs ---------------------------------------------------------------------------
    def _acl(self, acl_uuid: str) -> dict[str, Any]:
        acl = self.st.ip_acls.get(acl_uuid)
        if acl is None:
            raise ApiError(404, "IP access control list not found")
        return acl

    @staticmethod
    def _acl_name(body: dict[str, Any], *, required: bool) -> str | None:
        # Guess: name is required on create, 1-255 characters.
        name = get_str(body, "name", required=required)
        if name is not None and not 1 <= len(name.strip()) <= 255:
            raise ApiError(400, "name must be 1 to 255 characters")
        return name

    async def acl_create(self, request: web.Request) -> web.Response:
        """POST SipAuth/IPAccessControlList/ (assumed path, plivo-api.md 12): 201 with the list;
        1-50 entries, quota 100 lists."""
        body = await read_body(request)
        name = self._acl_name(body, required=True)
        entries = parse_acl_entries(body, required=True)
        if len(self.st.ip_acls) >= ACL_QUOTA:
            raise ApiError(400, f"IP access control list limit reached: at most {ACL_QUOTA}")
        acl_uuid = self.emu.ids.uuid()
        acl = {"ip_acl_uuid": acl_uuid, "name": name, "ip_addresses": entries}
        self.st.ip_acls[acl_uuid] = acl
        self.emu.changed()
        msg = "IP access control list created successfully."  # the Zentrunk resource's text
        return answer(201, {"message": msg, **self.acl_out(acl)})

    async def acl_list(self, request: web.Request) -> web.Response:
        """GET SipAuth/IPAccessControlList/: a page of IP access control lists."""
        items = [self.acl_out(a) for a in self.st.ip_acls.values()]
        return answer(200, paginate(request, items, f"{self.prefix}{ACL_PATH}/"))

    async def acl_get(self, request: web.Request) -> web.Response:
        """GET SipAuth/IPAccessControlList/{uuid}/: one list, 404 when unknown."""
        return answer(200, self.acl_out(self._acl(request.match_info["id"])))

    async def acl_update(self, request: web.Request) -> web.Response:
        """POST SipAuth/IPAccessControlList/{uuid}/: a new name and/or whole entry list; 202."""
        acl = self._acl(request.match_info["id"])
        body = await read_body(request)
        name = self._acl_name(body, required=False)
        entries = parse_acl_entries(body, required=False)
        if name is None and entries is None:
            raise ApiError(400, "nothing to change: send name and/or ip_addresses")
        if name is not None:
            acl["name"] = name
        if entries is not None:
            acl["ip_addresses"] = entries
        self.emu.changed()
        return answer(202, {"message": "changed"})

    async def acl_delete(self, request: web.Request) -> web.Response:
        """DELETE SipAuth/IPAccessControlList/{uuid}/: 204, or 409 while an application uses it."""
        acl_uuid = request.match_info["id"]
        self._acl(acl_uuid)
        users = self.st.apps_using_acl(acl_uuid)
        if users:
            raise ApiError(
                409,
                f"IP access control list is in use by application {', '.join(users)}; "
                "set that application's sip_auth_type to empty first",
            )
        del self.st.ip_acls[acl_uuid]
        self.emu.changed()
        return answer(204)

    # --- rented numbers --------------------------------------------------------------------
    def _number(self, number: str) -> dict[str, Any]:
        num = self.st.numbers.get(digits_only(number))
        if num is None:
            raise ApiError(404, "Number not found")
        return num

    def _app_ref(self, body: dict[str, Any]) -> str | None:
        """``app_id`` of a Number/PhoneNumber request: None = absent, "" = unassign."""
        if "app_id" not in body:
            return None
        value = body["app_id"]
        if value is None or value == "":
            return ""
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise ApiError(400, "app_id must be a string")
        if value not in self.st.applications:
            # Guess: an unknown app_id on a number is a 400 naming the id (not a 404).
            raise ApiError(400, f"app_id {value} does not match any application")
        return value

    async def number_list(self, request: web.Request) -> web.Response:
        """GET Number/: a page of rented numbers filtered by type, number_startswith and alias;
        Plivo's other filters (services, subaccount, ...) are ignored."""
        nums = list(self.st.numbers.values())
        q = request.query
        if q.get("type"):
            nums = [n for n in nums if n["number_type"] == q["type"]]
        if q.get("number_startswith"):
            nums = [n for n in nums if n["number"].startswith(digits_only(q["number_startswith"]))]
        if q.get("alias"):
            nums = [n for n in nums if n.get("alias") == q["alias"]]
        items = [self.number_out(n) for n in nums]
        return answer(200, paginate(request, items, f"{self.prefix}Number/"))

    async def number_get(self, request: web.Request) -> web.Response:
        """GET Number/{number}/: one rented number ('+' optional), 404 when not rented."""
        return answer(200, self.number_out(self._number(request.match_info["number"])))

    async def number_update(self, request: web.Request) -> web.Response:
        """POST Number/{number}/: set app_id ("" unassigns; unknown is 400) and alias; 202.
        cnam_lookup and subaccount are ignored."""
        num = self._number(request.match_info["number"])
        body = await read_body(request)
        app_id = self._app_ref(body)
        alias = get_str(body, "alias", nullable=True)
        if app_id is not None:
            num["app_id"] = app_id
        if alias is not None:
            num["alias"] = alias
        self.emu.changed()
        return answer(202, {"message": "changed"})

    async def number_delete(self, request: web.Request) -> web.Response:
        """DELETE Number/{number}/: unrent it (204); it goes back on sale (a guess)."""
        num = self._number(request.match_info["number"])
        del self.st.numbers[num["number"]]
        # Guess: an unrented number goes back on sale.
        details = num.get("details")
        if details:
            self.st.inventory[num["number"]] = details
        self.emu.changed()
        return answer(204)

    # --- phone number search / buy ---------------------------------------------------------
    async def search(self, request: web.Request) -> web.Response:
        """GET PhoneNumber/: search the inventory by country_iso (required), type, pattern,
        region and city; Plivo's other filters (services, lata, npanxx, ...) are ignored."""
        q = request.query
        iso = q.get("country_iso", "").upper()
        if not iso:
            raise ApiError(400, "country_iso is required")
        kind = q.get("type", "any") or "any"
        if kind not in ("local", "tollfree", "mobile", "national", "fixed", "any"):
            raise ApiError(400, "type must be local, tollfree, mobile, national, fixed or any")
        items = [n for n in self.st.inventory.values() if n["country_iso"] == iso]
        if kind != "any":
            items = [n for n in items if n["type"] == kind]
        pattern = digits_only(q.get("pattern", ""))
        if pattern:
            # Guess: pattern is a substring of the national number (digits after the country code).
            items = [n for n in items if pattern in n["number"][len(n["country_code"]) :]]
        for key in ("region", "city"):
            # Guess: region/city filters are case-insensitive substrings.
            if q.get(key):
                items = [n for n in items if q[key].lower() in (n.get(key) or "").lower()]
        objects = [self.available_out(n) for n in items]
        return answer(200, paginate(request, objects, f"{self.prefix}PhoneNumber/"))

    async def buy(self, request: web.Request) -> web.Response:
        """POST PhoneNumber/{number}/: rent it (201 "fulfilled"); without app_id it goes to
        the default number app, as Plivo documents. 404 when not on sale."""
        number = digits_only(request.match_info["number"])
        body = await read_body(request)
        app_id = self._app_ref(body)
        item = self.st.inventory.get(number)
        if item is None:
            # Guess: an unknown or already sold number is a 404.
            raise ApiError(404, f"Phone number {number} is not available")
        if app_id is None:
            # Documented: without app_id the number goes to the default number app.
            default = [a for a in self.st.applications.values() if a.get("default_app")]
            app_id = default[0]["app_id"] if default else ""
        added_on = time.strftime("%Y-%m-%d", time.gmtime(self.emu.clock.now()))
        del self.st.inventory[number]
        self.st.numbers[number] = new_number(item, added_on, app_id)
        self.emu.changed()
        return answer(
            201,
            {
                "message": "created",
                # Guess: fallback_number (in the SDK's fixture) is null when the number
                # asked for was the one bought.
                "numbers": [{"number": number, "status": "Success", "fallback_number": None}],
                "status": "fulfilled",
            },
        )

    # --- calls -----------------------------------------------------------------------------
    async def call_create(self, request: web.Request) -> web.Response:
        """POST Call/: 201 "call fired" after each '<'-separated ``to`` ran via its provider
        route. Unlike Plivo, the answer_url given is validated but never requested."""
        body = await read_body(request)
        from_ = get_str(body, "from", required=True)
        to = get_str(body, "to", required=True)
        answer_url = get_url(body, "answer_url")
        if not answer_url:
            raise ApiError(400, "answer_url is required")
        get_method(body, "answer_method")
        assert from_ is not None and to is not None
        destinations = [d.strip() for d in to.split("<") if d.strip()]
        if not destinations or len(destinations) > 1000:
            raise ApiError(400, "to must hold 1 to 1000 destinations separated by '<'")
        request_uuid = self.emu.ids.uuid()
        # Guess: the provider's leg runs before Call create answers, so its outcome is in
        # the call log as soon as the client has its request_uuid (Plivo queues calls).
        for i, dest in enumerate(destinations):
            # Plivo names an outbound call by its request_uuid; Guess: with several
            # destinations the first leg keeps it and each further leg gets its own uuid.
            call_uuid = request_uuid if i == 0 else self.emu.ids.uuid()
            await self.emu.place_call(request_uuid, from_, dest, call_uuid)
        return answer(201, {"message": "call fired", "request_uuid": request_uuid})

    # --- routing ---------------------------------------------------------------------------
    def routes(self) -> list[tuple[str, str, Any]]:
        """(method, path, handler) for every REST route, call records included; build_app
        mounts each with and without the trailing slash the SDK adds."""
        base = "/v1/Account/{auth_id}"
        return [
            ("GET", base, self.account_get),
            ("POST", base, self.account_update),
            ("POST", f"{base}/Application", self.app_create),
            ("GET", f"{base}/Application", self.app_list),
            ("GET", f"{base}/Application/{{id}}", self.app_get),
            ("POST", f"{base}/Application/{{id}}", self.app_update),
            ("DELETE", f"{base}/Application/{{id}}", self.app_delete),
            ("POST", f"{base}/{CREDENTIAL_PATH}", self.cred_create),
            ("GET", f"{base}/{CREDENTIAL_PATH}", self.cred_list),
            ("GET", f"{base}/{CREDENTIAL_PATH}/{{id}}", self.cred_get),
            ("POST", f"{base}/{CREDENTIAL_PATH}/{{id}}", self.cred_update),
            ("DELETE", f"{base}/{CREDENTIAL_PATH}/{{id}}", self.cred_delete),
            ("POST", f"{base}/{ACL_PATH}", self.acl_create),
            ("GET", f"{base}/{ACL_PATH}", self.acl_list),
            ("GET", f"{base}/{ACL_PATH}/{{id}}", self.acl_get),
            ("POST", f"{base}/{ACL_PATH}/{{id}}", self.acl_update),
            ("DELETE", f"{base}/{ACL_PATH}/{{id}}", self.acl_delete),
            ("GET", f"{base}/Number", self.number_list),
            ("GET", f"{base}/Number/{{number}}", self.number_get),
            ("POST", f"{base}/Number/{{number}}", self.number_update),
            ("DELETE", f"{base}/Number/{{number}}", self.number_delete),
            ("GET", f"{base}/PhoneNumber", self.search),
            ("POST", f"{base}/PhoneNumber/{{number}}", self.buy),
            ("POST", f"{base}/Call", self.call_create),
            *call_record_routes(self.emu, base),
        ]
