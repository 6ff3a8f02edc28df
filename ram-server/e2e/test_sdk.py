"""End-to-end: Alibaba Cloud's official Python SDKs against `ram serve`.

Started by run.sh (which makes the virtualenv and builds `ram`); `RAM_BIN` names the binary.
The module creates a state file with `ram init`, starts `ram serve` on a free loopback port
and drives the RAM and STS clients exactly as an application would, only pointing their
endpoint at the server. Tests run in name order and build on each other (alice, her key, the
role), like a session.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

from alibabacloud_tea_openapi.models import Config
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_ram20150501.client import Client as RamClient
from alibabacloud_ram20150501 import models as ram
from alibabacloud_sts20150401.client import Client as StsClient
from alibabacloud_sts20150401 import models as sts

ACCOUNT = "123456789012"
RAM_BIN = os.environ.get("RAM_BIN", "ram")

S = {}  # shared across tests: server, admin key, alice's key, ...


def setUpModule():
    S["dir"] = tempfile.mkdtemp(prefix="ram-e2e-")
    S["state"] = os.path.join(S["dir"], "state.json")
    out = subprocess.run([RAM_BIN, "--state", S["state"], "init", "--account", ACCOUNT],
                         check=True, capture_output=True, text=True).stdout
    admin = json.loads(out)
    S["admin"] = (admin["AccessKeyId"], admin["AccessKeySecret"])
    S["log"] = open(os.path.join(S["dir"], "serve.log"), "w")
    start_server()


def start_server(now=None):
    """Starts `ram serve` on a free port (with `--now`, its clock starts at that instant)."""
    args = [RAM_BIN, "--state", S["state"]] + (["--now", now] if now else [])
    started = time.monotonic()
    S["proc"] = subprocess.Popen(args + ["serve", "--listen", "127.0.0.1:0"],
                                 stdout=subprocess.PIPE, stderr=S["log"], text=True)
    line = S["proc"].stdout.readline().strip()
    if not line.startswith("listening on "):
        raise RuntimeError(f"ram serve did not start: {line!r}")
    S["bind_seconds"] = time.monotonic() - started
    S["endpoint"] = line.removeprefix("listening on ")


def stop_server():
    proc = S.pop("proc", None)
    if proc:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()


def tearDownModule():
    stop_server()
    if S.get("log"):
        S["log"].close()


def totp(seed_base32, step):
    """RFC 6238 (HMAC-SHA1, 6 digits) code of a 30-second step, as an authenticator app computes it."""
    import base64, hashlib, hmac, struct
    key = base64.b32decode(seed_base32 + "=" * (-len(seed_base32) % 8))
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1000000)


def config(key, token=None, v1=False):
    c = Config(access_key_id=key[0], access_key_secret=key[1], security_token=token,
               endpoint=S["endpoint"], protocol="http", region_id="cn-hangzhou")
    if v1:
        c.signature_algorithm = "v2"
    return c


def ram_client(key, token=None, v1=False):
    return RamClient(config(key, token, v1))


def sts_client(key, token=None, v1=False):
    return StsClient(config(key, token, v1))


STS_REASON = "STS AssumeRole is not served yet: ram-sts has not landed on main"
ROLE_ARN = f"acs:ram::{ACCOUNT}:role/reader"
# Whether this build serves AssumeRole (ram-sts merged): ask the binary what it serves.
SERVED = json.loads(subprocess.run([RAM_BIN, "serve", "--list-actions"], check=True,
                                   capture_output=True, text=True).stdout)
STS = "AssumeRole" in SERVED["2015-04-01"]

READ_RAM = json.dumps({"Version": "1", "Statement": [
    {"Effect": "Allow", "Action": ["ram:Get*", "ram:List*"], "Resource": "*"}]})


class Sdk(unittest.TestCase):
    def assertClientError(self, call, code, status):
        with self.assertRaises(ClientException) as cm:
            call()
        self.assertEqual(cm.exception.code, code, cm.exception.message)
        self.assertEqual(cm.exception.status_code, status)
        return cm.exception

    def test_00_bound_within_two_seconds(self):
        self.assertLess(S["bind_seconds"], 2.0)

    def test_01_create_user_with_admin_key(self):
        c = ram_client(S["admin"])
        r = c.create_user(ram.CreateUserRequest(user_name="alice", display_name="Alice Smith*"))
        self.assertEqual(r.status_code, 200)
        self.assertEqual(r.body.user.user_name, "alice")
        self.assertEqual(r.body.user.display_name, "Alice Smith*")
        self.assertTrue(r.body.request_id)
        got = c.get_user(ram.GetUserRequest(user_name="alice")).body.user
        self.assertEqual(got.user_id, r.body.user.user_id)
        self.assertClientError(lambda: c.create_user(ram.CreateUserRequest(user_name="alice")),
                               "EntityAlreadyExists.User", 409)
        self.assertClientError(lambda: c.get_user(ram.GetUserRequest(user_name="nobody")),
                               "EntityNotExist.User", 404)

    def test_02_access_key_and_policy(self):
        c = ram_client(S["admin"])
        key = c.create_access_key(ram.CreateAccessKeyRequest(user_name="alice")).body.access_key
        self.assertEqual(key.status, "Active")
        S["alice"] = (key.access_key_id, key.access_key_secret)
        p = c.create_policy(ram.CreatePolicyRequest(policy_name="ReadRam", policy_document=READ_RAM,
                                                    description="read RAM")).body.policy
        self.assertEqual((p.policy_type, p.default_version), ("Custom", "v1"))
        c.attach_policy_to_user(ram.AttachPolicyToUserRequest(policy_type="Custom", policy_name="ReadRam",
                                                              user_name="alice"))
        attached = c.list_policies_for_user(ram.ListPoliciesForUserRequest(user_name="alice")).body
        self.assertEqual([x.policy_name for x in attached.policies.policy], ["ReadRam"])
        keys = c.list_access_keys(ram.ListAccessKeysRequest(user_name="alice")).body.access_keys.access_key
        self.assertEqual([k.access_key_id for k in keys], [S["alice"][0]])
        self.assertIsNone(getattr(keys[0], "access_key_secret", None))

    def test_03_policy_allows_reads_and_denies_writes(self):
        c = ram_client(S["alice"])
        users = c.list_users(ram.ListUsersRequest()).body.users.user
        self.assertIn("alice", [u.user_name for u in users])
        e = self.assertClientError(lambda: c.create_user(ram.CreateUserRequest(user_name="mallory")),
                                   "NoPermission", 403)
        self.assertTrue(e.request_id)

    def test_04_role_with_trust_policy(self):
        c = ram_client(S["admin"])
        trust = json.dumps({"Version": "1", "Statement": [{
            "Effect": "Allow", "Action": "sts:AssumeRole",
            "Principal": {"RAM": [f"acs:ram::{ACCOUNT}:user/alice"]}}]})
        role = c.create_role(ram.CreateRoleRequest(role_name="reader", assume_role_policy_document=trust,
                                                   max_session_duration=7200)).body.role
        self.assertEqual(role.arn, f"acs:ram::{ACCOUNT}:role/reader")
        self.assertEqual(role.max_session_duration, 7200)
        c.attach_policy_to_role(ram.AttachPolicyToRoleRequest(policy_type="System",
                                                              policy_name="ReadOnlyAccess", role_name="reader"))
        got = c.get_role(ram.GetRoleRequest(role_name="reader")).body.role
        self.assertEqual(json.loads(got.assume_role_policy_document), json.loads(trust))
        entities = c.list_entities_for_policy(ram.ListEntitiesForPolicyRequest(
            policy_type="System", policy_name="ReadOnlyAccess")).body
        self.assertEqual([r.role_name for r in entities.roles.role], ["reader"])
        # alice may call sts:AssumeRole on it (the identity side of AssumeRole).
        c.create_policy(ram.CreatePolicyRequest(policy_name="AssumeReader", policy_document=json.dumps({
            "Version": "1", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                           "Resource": f"acs:ram::{ACCOUNT}:role/reader"}]})))
        c.attach_policy_to_user(ram.AttachPolicyToUserRequest(policy_type="Custom", policy_name="AssumeReader",
                                                              user_name="alice"))

    def test_05_groups_membership_and_paging(self):
        c = ram_client(S["admin"])
        for name in ["g1", "g2", "g3"]:
            c.create_group(ram.CreateGroupRequest(group_name=name))
        c.add_user_to_group(ram.AddUserToGroupRequest(group_name="g2", user_name="alice"))
        first = c.list_groups(ram.ListGroupsRequest(max_items=2)).body
        self.assertTrue(first.is_truncated)
        self.assertEqual([g.group_name for g in first.groups.group], ["g1", "g2"])
        rest = c.list_groups(ram.ListGroupsRequest(max_items=2, marker=first.marker)).body
        self.assertFalse(rest.is_truncated)
        self.assertEqual([g.group_name for g in rest.groups.group], ["g3"])
        mine = c.list_groups_for_user(ram.ListGroupsForUserRequest(user_name="alice")).body.groups.group
        self.assertEqual([g.group_name for g in mine], ["g2"])
        members = c.list_users_for_group(ram.ListUsersForGroupRequest(group_name="g2")).body.users.user
        self.assertEqual([u.user_name for u in members], ["alice"])
        self.assertClientError(lambda: c.delete_group(ram.DeleteGroupRequest(group_name="g2")),
                               "DeleteConflict.Group.User", 409)
        c.remove_user_from_group(ram.RemoveUserFromGroupRequest(group_name="g2", user_name="alice"))
        c.delete_group(ram.DeleteGroupRequest(group_name="g2"))

    def test_06_v1_signing(self):
        c = ram_client(S["admin"], v1=True)
        c.create_user(ram.CreateUserRequest(user_name="bob", display_name="Bob Smith"))
        self.assertEqual(c.get_user(ram.GetUserRequest(user_name="bob")).body.user.display_name, "Bob Smith")
        a = ram_client(S["alice"], v1=True)
        self.assertClientError(lambda: a.delete_user(ram.DeleteUserRequest(user_name="bob")), "NoPermission", 403)
        c.delete_user(ram.DeleteUserRequest(user_name="bob"))

    def test_07_get_caller_identity(self):
        for v1 in (False, True):
            r = sts_client(S["alice"], v1=v1).get_caller_identity().body
            self.assertEqual(r.arn, f"acs:ram::{ACCOUNT}:user/alice")
            self.assertEqual(r.account_id, ACCOUNT)
            self.assertEqual(r.identity_type, "RAMUser")

    def test_08_unknown_access_key(self):
        c = ram_client(("LTAI00000000000000000000", "x" * 30))
        self.assertClientError(lambda: c.list_users(ram.ListUsersRequest()), "InvalidAccessKeyId.NotFound", 404)
        c = ram_client(("LTAI00000000000000000000", "x" * 30), v1=True)
        self.assertClientError(lambda: c.list_users(ram.ListUsersRequest()), "InvalidAccessKeyId.NotFound", 404)

    def test_09_wrong_secret(self):
        for v1 in (False, True):
            c = ram_client((S["alice"][0], "wrong-secret"), v1=v1)
            self.assertClientError(lambda: c.list_users(ram.ListUsersRequest()), "SignatureDoesNotMatch", 400)

    def test_10_password_policy_and_login_profile(self):
        c = ram_client(S["admin"])
        c.set_password_policy(ram.SetPasswordPolicyRequest(minimum_password_length=10, require_numbers=True))
        pp = c.get_password_policy().body.password_policy
        self.assertEqual((pp.minimum_password_length, pp.require_numbers), (10, True))
        self.assertClientError(lambda: c.create_login_profile(ram.CreateLoginProfileRequest(
            user_name="alice", password="short")), "InvalidParameter.Password.TooWeak", 400)
        c.create_login_profile(ram.CreateLoginProfileRequest(user_name="alice", password="long enough 123",
                                                             password_reset_required=True))
        lp = c.get_login_profile(ram.GetLoginProfileRequest(user_name="alice")).body.login_profile
        self.assertTrue(lp.password_reset_required)
        c.update_login_profile(ram.UpdateLoginProfileRequest(user_name="alice", password_reset_required=False))
        lp = c.get_login_profile(ram.GetLoginProfileRequest(user_name="alice")).body.login_profile
        self.assertFalse(lp.password_reset_required)
        c.delete_login_profile(ram.DeleteLoginProfileRequest(user_name="alice"))

    def test_10b_change_password(self):
        c = ram_client(S["admin"])
        c.create_login_profile(ram.CreateLoginProfileRequest(user_name="admin", password="admin pass 1234"))
        c.change_password(ram.ChangePasswordRequest(old_password="admin pass 1234", new_password="admin pass 5678"))
        self.assertClientError(lambda: c.change_password(ram.ChangePasswordRequest(
            old_password="admin pass 1234", new_password="admin pass 9999")), "Login.InvalidCredentials", 403)
        self.assertClientError(lambda: c.change_password(ram.ChangePasswordRequest(
            old_password="admin pass 5678", new_password="short")), "InvalidParameter.Password.TooWeak", 400)
        # Without ram:ChangePassword, alice may not (even for herself).
        self.assertClientError(lambda: ram_client(S["alice"]).change_password(ram.ChangePasswordRequest(
            old_password="a", new_password="b")), "NoPermission", 403)

    def test_11_policy_versions(self):
        c = ram_client(S["admin"])
        v = c.create_policy_version(ram.CreatePolicyVersionRequest(
            policy_name="ReadRam", policy_document=READ_RAM, set_as_default=True)).body.policy_version
        self.assertEqual((v.version_id, v.is_default_version), ("v2", True))
        versions = c.list_policy_versions(ram.ListPolicyVersionsRequest(
            policy_name="ReadRam", policy_type="Custom")).body.policy_versions.policy_version
        self.assertEqual(sorted(x.version_id for x in versions), ["v1", "v2"])
        got = c.get_policy(ram.GetPolicyRequest(policy_name="ReadRam", policy_type="Custom")).body
        self.assertEqual(got.default_policy_version.version_id, "v2")
        c.delete_policy_version(ram.DeletePolicyVersionRequest(policy_name="ReadRam", version_id="v1"))
        self.assertClientError(lambda: c.delete_policy_version(ram.DeletePolicyVersionRequest(
            policy_name="ReadRam", version_id="v2")), "DeleteConflict.Policy.Version.Default", 409)

    def test_12_mfa_and_security_preference(self):
        c = ram_client(S["admin"])
        d = c.create_virtual_mfadevice(ram.CreateVirtualMFADeviceRequest(
            virtual_mfadevice_name="alice-phone")).body.virtual_mfadevice
        self.assertEqual(d.serial_number, f"acs:ram::{ACCOUNT}:mfa/alice-phone")
        self.assertTrue(d.base_32string_seed)
        listed = c.list_virtual_mfadevices().body.virtual_mfadevices.virtual_mfadevice
        self.assertEqual([x.serial_number for x in listed], [d.serial_number])
        self.assertClientError(lambda: c.get_user_mfainfo(ram.GetUserMFAInfoRequest(user_name="alice")),
                               "EntityNotExist.User.MFADevice", 404)
        c.delete_virtual_mfadevice(ram.DeleteVirtualMFADeviceRequest(serial_number=d.serial_number))
        sp = c.get_security_preference().body.security_preference
        self.assertEqual(sp.login_profile_preference.login_session_duration, 6)

    def test_12b_bind_mfa_device(self):
        c = ram_client(S["admin"])
        c.create_user(ram.CreateUserRequest(user_name="mfa-user"))
        d = c.create_virtual_mfadevice(ram.CreateVirtualMFADeviceRequest(
            virtual_mfadevice_name="mfa-user-phone")).body.virtual_mfadevice
        step = int(time.time()) // 30
        c.bind_mfadevice(ram.BindMFADeviceRequest(
            serial_number=d.serial_number, user_name="mfa-user",
            authentication_code_1=totp(d.base_32string_seed, step - 1),
            authentication_code_2=totp(d.base_32string_seed, step)))
        info = c.get_user_mfainfo(ram.GetUserMFAInfoRequest(user_name="mfa-user")).body.mfadevice
        self.assertEqual(info.serial_number, d.serial_number)
        self.assertClientError(lambda: c.delete_virtual_mfadevice(ram.DeleteVirtualMFADeviceRequest(
            serial_number=d.serial_number)), "DeleteConflict.VirtualMFADevice.User", 409)
        c.unbind_mfadevice(ram.UnbindMFADeviceRequest(user_name="mfa-user"))
        c.delete_virtual_mfadevice(ram.DeleteVirtualMFADeviceRequest(serial_number=d.serial_number))
        c.delete_user(ram.DeleteUserRequest(user_name="mfa-user"))

    def test_12c_remaining_actions(self):
        c = ram_client(S["admin"])
        # Access keys: a second key, disabled, then deleted.
        key = c.create_access_key(ram.CreateAccessKeyRequest(user_name="alice")).body.access_key
        c.update_access_key(ram.UpdateAccessKeyRequest(user_name="alice", user_access_key_id=key.access_key_id,
                                                       status="Inactive"))
        self.assertClientError(lambda: ram_client((key.access_key_id, key.access_key_secret)).list_users(
            ram.ListUsersRequest()), "InvalidAccessKeyId.Inactive", 400)
        never = c.get_access_key_last_used(ram.GetAccessKeyLastUsedRequest(
            user_name="alice", user_access_key_id=key.access_key_id)).body.access_key_last_used
        self.assertFalse(never.last_used_date)
        used = c.get_access_key_last_used(ram.GetAccessKeyLastUsedRequest(
            user_name="alice", user_access_key_id=S["alice"][0])).body.access_key_last_used
        self.assertRegex(used.last_used_date, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        c.delete_access_key(ram.DeleteAccessKeyRequest(user_name="alice", user_access_key_id=key.access_key_id))
        self.assertClientError(lambda: ram_client((key.access_key_id, key.access_key_secret)).list_users(
            ram.ListUsersRequest()), "InvalidAccessKeyId.NotFound", 404)
        # Groups and their policies.
        c.create_group(ram.CreateGroupRequest(group_name="ops"))
        self.assertEqual(c.get_group(ram.GetGroupRequest(group_name="ops")).body.group.group_name, "ops")
        c.attach_policy_to_group(ram.AttachPolicyToGroupRequest(policy_type="System", policy_name="ReadOnlyAccess",
                                                                group_name="ops"))
        gp = c.list_policies_for_group(ram.ListPoliciesForGroupRequest(group_name="ops")).body.policies.policy
        self.assertEqual([p.policy_name for p in gp], ["ReadOnlyAccess"])
        c.detach_policy_from_group(ram.DetachPolicyFromGroupRequest(policy_type="System",
                                                                    policy_name="ReadOnlyAccess", group_name="ops"))
        c.delete_group(ram.DeleteGroupRequest(group_name="ops"))
        # Roles: update, list, policies, detach, delete.
        trust = json.dumps({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                           "Principal": {"Service": ["ecs.aliyuncs.com"]}}]})
        c.create_role(ram.CreateRoleRequest(role_name="ecs-role", assume_role_policy_document=trust))
        r = c.update_role(ram.UpdateRoleRequest(role_name="ecs-role", new_max_session_duration=7200)).body.role
        self.assertEqual(r.max_session_duration, 7200)
        roles = c.list_roles(ram.ListRolesRequest()).body.roles.role
        self.assertIn("ecs-role", [x.role_name for x in roles])
        c.attach_policy_to_role(ram.AttachPolicyToRoleRequest(policy_type="Custom", policy_name="ReadRam",
                                                              role_name="ecs-role"))
        rp = c.list_policies_for_role(ram.ListPoliciesForRoleRequest(role_name="ecs-role")).body.policies.policy
        self.assertEqual([p.policy_name for p in rp], ["ReadRam"])
        self.assertClientError(lambda: c.delete_role(ram.DeleteRoleRequest(role_name="ecs-role")),
                               "DeleteConflict.Role.Policy", 409)
        c.detach_policy_from_role(ram.DetachPolicyFromRoleRequest(policy_type="Custom", policy_name="ReadRam",
                                                                  role_name="ecs-role"))
        c.delete_role(ram.DeleteRoleRequest(role_name="ecs-role"))
        # Policies: list by type, versions, default, delete.
        system = c.list_policies(ram.ListPoliciesRequest(policy_type="System", max_items=1000)).body.policies.policy
        self.assertIn("AdministratorAccess", [p.policy_name for p in system])
        custom = c.list_policies(ram.ListPoliciesRequest(policy_type="Custom")).body.policies.policy
        self.assertIn("ReadRam", [p.policy_name for p in custom])
        c.create_policy(ram.CreatePolicyRequest(policy_name="Temp", policy_document=READ_RAM))
        c.create_policy_version(ram.CreatePolicyVersionRequest(policy_name="Temp", policy_document=READ_RAM))
        c.set_default_policy_version(ram.SetDefaultPolicyVersionRequest(policy_name="Temp", version_id="v2"))
        v = c.get_policy_version(ram.GetPolicyVersionRequest(policy_name="Temp", policy_type="Custom",
                                                             version_id="v2")).body.policy_version
        self.assertTrue(v.is_default_version)
        self.assertEqual(json.loads(v.policy_document), json.loads(READ_RAM))
        c.attach_policy_to_user(ram.AttachPolicyToUserRequest(policy_type="Custom", policy_name="Temp",
                                                              user_name="alice"))
        self.assertClientError(lambda: c.delete_policy(ram.DeletePolicyRequest(policy_name="Temp")),
                               "DeleteConflict.Policy.User", 409)
        c.detach_policy_from_user(ram.DetachPolicyFromUserRequest(policy_type="Custom", policy_name="Temp",
                                                                  user_name="alice"))
        c.delete_policy(ram.DeletePolicyRequest(policy_name="Temp", cascading_delete=True))
        # Security preference.
        sp = c.set_security_preference(ram.SetSecurityPreferenceRequest(login_session_duration=8))
        self.assertEqual(sp.body.security_preference.login_profile_preference.login_session_duration, 8)

    def test_12d_update_user(self):
        c = ram_client(S["admin"])
        # Descriptive fields are stored and come back from Get*/List*.
        u = c.create_user(ram.CreateUserRequest(user_name="dana", display_name="Dana", mobile_phone="86-13800000000",
                                                email="dana@example.com", comments="on call")).body.user
        self.assertEqual((u.mobile_phone, u.email, u.comments), ("86-13800000000", "dana@example.com", "on call"))
        got = c.get_user(ram.GetUserRequest(user_name="dana")).body.user
        self.assertEqual((got.mobile_phone, got.email, got.comments), ("86-13800000000", "dana@example.com", "on call"))
        key = c.create_access_key(ram.CreateAccessKeyRequest(user_name="dana")).body.access_key
        dana = S["dana"] = (key.access_key_id, key.access_key_secret)
        g = c.create_group(ram.CreateGroupRequest(group_name="readers", comments="read-only people")).body.group
        self.assertEqual(g.comments, "read-only people")
        c.add_user_to_group(ram.AddUserToGroupRequest(group_name="readers", user_name="dana"))
        c.attach_policy_to_group(ram.AttachPolicyToGroupRequest(policy_type="Custom", policy_name="ReadRam",
                                                                group_name="readers"))
        self.assertIn("dana", [x.user_name for x in ram_client(dana).list_users(ram.ListUsersRequest()).body.users.user])

        # UpdateUser: rename and new fields; the id and everything attached stay.
        r = c.update_user(ram.UpdateUserRequest(user_name="dana", new_user_name="dora", new_display_name="Dora",
                                                new_email="dora@example.com", new_comments="renamed")).body.user
        self.assertEqual((r.user_name, r.user_id, r.display_name), ("dora", u.user_id, "Dora"))
        self.assertEqual((r.mobile_phone, r.email, r.comments), ("86-13800000000", "dora@example.com", "renamed"))
        self.assertRegex(r.update_date, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        listed = {x.user_name: x for x in c.list_users(ram.ListUsersRequest()).body.users.user}
        self.assertNotIn("dana", listed)
        self.assertEqual((listed["dora"].email, listed["dora"].comments), ("dora@example.com", "renamed"))
        self.assertClientError(lambda: c.get_user(ram.GetUserRequest(user_name="dana")), "EntityNotExist.User", 404)
        # The renamed user's key still authenticates, as the new name, with the group's policy.
        for v1 in (False, True):
            who = sts_client(dana, v1=v1).get_caller_identity().body
            self.assertEqual(who.arn, f"acs:ram::{ACCOUNT}:user/dora")
            ram_client(dana, v1=v1).get_user(ram.GetUserRequest(user_name="dora"))
        members = c.list_users_for_group(ram.ListUsersForGroupRequest(group_name="readers")).body.users.user
        self.assertEqual([m.user_name for m in members], ["dora"])
        self.assertClientError(lambda: c.update_user(ram.UpdateUserRequest(user_name="dora", new_user_name="alice")),
                               "EntityAlreadyExists.User", 409)
        self.assertClientError(lambda: c.update_user(ram.UpdateUserRequest(user_name="dana", new_comments="x")),
                               "EntityNotExist.User", 404)
        self.assertClientError(lambda: c.update_user(ram.UpdateUserRequest(user_name="dora", new_email="nope")),
                               "InvalidParameter.NewEmail", 400)
        self.assertClientError(lambda: c.update_user(ram.UpdateUserRequest(user_name="dora",
                                                                           new_user_name="bad name")),
                               "InvalidParameter.NewUserName", 400)
        # dora may read but not rename herself.
        self.assertClientError(lambda: ram_client(dana).update_user(ram.UpdateUserRequest(
            user_name="dora", new_user_name="admin2")), "NoPermission", 403)

    def test_12e_update_group(self):
        # Rename; members keep inheriting its policies.
        c, dana = ram_client(S["admin"]), S["dana"]
        g = c.update_group(ram.UpdateGroupRequest(group_name="readers", new_group_name="viewers",
                                                  new_comments="they view")).body.group
        self.assertEqual((g.group_name, g.comments), ("viewers", "they view"))
        got = c.get_group(ram.GetGroupRequest(group_name="viewers")).body.group
        self.assertEqual(got.comments, "they view")
        self.assertClientError(lambda: c.get_group(ram.GetGroupRequest(group_name="readers")),
                               "EntityNotExist.Group", 404)
        mine = c.list_groups_for_user(ram.ListGroupsForUserRequest(user_name="dora")).body.groups.group
        self.assertEqual([(x.group_name, x.comments) for x in mine], [("viewers", "they view")])
        self.assertIn("dora", [x.user_name for x in ram_client(dana).list_users(ram.ListUsersRequest()).body.users.user])
        gp = c.list_policies_for_group(ram.ListPoliciesForGroupRequest(group_name="viewers")).body.policies.policy
        self.assertEqual([p.policy_name for p in gp], ["ReadRam"])
        self.assertClientError(lambda: c.update_group(ram.UpdateGroupRequest(group_name="readers",
                                                                             new_comments="x")),
                               "EntityNotExist.Group", 404)
        c.create_group(ram.CreateGroupRequest(group_name="others"))
        self.assertClientError(lambda: c.update_group(ram.UpdateGroupRequest(group_name="viewers",
                                                                             new_group_name="others")),
                               "EntityAlreadyExists.Group", 409)
        self.assertClientError(lambda: c.update_group(ram.UpdateGroupRequest(group_name="viewers",
                                                                             new_comments="c" * 129)),
                               "InvalidParameter.NewComments", 400)

    def test_12f_update_policy_description_and_role_description(self):
        c = ram_client(S["admin"])
        p = c.update_policy_description(ram.UpdatePolicyDescriptionRequest(
            policy_name="ReadRam", new_description="reads RAM, updated")).body.policy
        self.assertEqual((p.policy_name, p.policy_type, p.description), ("ReadRam", "Custom", "reads RAM, updated"))
        got = c.get_policy(ram.GetPolicyRequest(policy_name="ReadRam", policy_type="Custom")).body.policy
        self.assertEqual(got.description, "reads RAM, updated")
        listed = c.list_policies_for_user(ram.ListPoliciesForUserRequest(user_name="alice")).body.policies.policy
        self.assertEqual({x.policy_name: x.description for x in listed}["ReadRam"], "reads RAM, updated")
        self.assertClientError(lambda: c.update_policy_description(ram.UpdatePolicyDescriptionRequest(
            policy_name="NoSuchPolicy", new_description="x")), "EntityNotExist.Policy", 404)
        self.assertClientError(lambda: c.update_policy_description(ram.UpdatePolicyDescriptionRequest(
            policy_name="ReadRam", new_description="d" * 1025)), "InvalidParameter.NewDescription", 400)
        trust = json.dumps({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                           "Principal": {"Service": ["ecs.aliyuncs.com"]}}]})
        role = c.create_role(ram.CreateRoleRequest(role_name="described", assume_role_policy_document=trust,
                                                   description="first")).body.role
        self.assertEqual(role.description, "first")
        c.update_role(ram.UpdateRoleRequest(role_name="described", new_description="second"))
        self.assertEqual(c.get_role(ram.GetRoleRequest(role_name="described")).body.role.description, "second")
        c.delete_role(ram.DeleteRoleRequest(role_name="described"))

    def test_13_state_persisted(self):
        # Every change is in the state file before its response: a read-only command sees it
        # while the server still holds the lock.
        out = subprocess.run([RAM_BIN, "--state", S["state"], "--json", "user", "list"],
                             check=True, capture_output=True, text=True).stdout
        self.assertIn("alice", out)

    def assume(self, key, session, v1=False, **kw):
        return sts_client(key, v1=v1).assume_role(sts.AssumeRoleRequest(
            role_arn=ROLE_ARN, role_session_name=session, **kw)).body

    @unittest.skipUnless(STS, STS_REASON)
    def test_20_assume_role(self):
        for v1 in (False, True):
            r = self.assume(S["alice"], f"alice-{int(v1)}", v1=v1)
            self.assertEqual(r.assumed_role_user.arn, f"{ROLE_ARN}/alice-{int(v1)}")
            self.assertRegex(r.credentials.expiration, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
            c = r.credentials
            creds = (c.access_key_id, c.access_key_secret)
            self.assertTrue(c.access_key_id.startswith("STS."))
            for sv1 in (False, True):
                who = sts_client(creds, c.security_token, v1=sv1).get_caller_identity().body
                self.assertEqual(who.arn, f"acs:ram::{ACCOUNT}:assumed-role/reader/alice-{int(v1)}")
                self.assertEqual(who.identity_type, "AssumedRoleUser")
                session = ram_client(creds, c.security_token, v1=sv1)
                session.list_users(ram.ListUsersRequest())  # ReadOnlyAccess on the role
                self.assertClientError(lambda: session.create_user(ram.CreateUserRequest(user_name="eve")),
                                       "NoPermission", 403)
            S["session"] = (creds, c.security_token)

    @unittest.skipUnless(STS, STS_REASON)
    def test_21_assume_role_with_session_policy(self):
        policy = json.dumps({"Version": "1", "Statement": [
            {"Effect": "Allow", "Action": "ram:GetUser", "Resource": "*"}]}, indent=1)
        r = self.assume(S["alice"], "narrow", policy=policy, duration_seconds=900)
        c = r.credentials
        session = ram_client((c.access_key_id, c.access_key_secret), c.security_token)
        self.assertEqual(session.get_user(ram.GetUserRequest(user_name="alice")).body.user.user_name, "alice")
        self.assertClientError(lambda: session.list_users(ram.ListUsersRequest()), "NoPermission", 403)

    @unittest.skipUnless(STS, STS_REASON)
    def test_22_assume_role_refused(self):
        # The admin may call sts:AssumeRole, but the trust policy names only alice.
        self.assertClientError(lambda: self.assume(S["admin"], "admin-s"), "NoPermission", 403)
        self.assertClientError(lambda: self.assume(S["alice"], "x y"), "InvalidParameter.RoleSessionName", 400)

    @unittest.skipUnless(STS, STS_REASON)
    def test_23_credentials_library_ram_role_provider(self):
        from alibabacloud_credentials.provider import RamRoleArnCredentialsProvider
        # A session policy with spaces: the library signs the quote_plus form (V1, GET).
        policy = json.dumps({"Version": "1", "Statement": [
            {"Effect": "Allow", "Action": ["ram:Get*", "ram:List*"], "Resource": "*"}]}, indent=2)
        provider = RamRoleArnCredentialsProvider(
            access_key_id=S["alice"][0], access_key_secret=S["alice"][1], role_arn=ROLE_ARN,
            role_session_name="library", duration_seconds=900, policy=policy,
            sts_endpoint=f"http://{S['endpoint']}")
        first = provider.get_credentials()
        self.assertTrue(first.get_access_key_id().startswith("STS."))
        # 900 s credentials are stale at once (the library refreshes 15 minutes early): the
        # next call refreshes them.
        second = provider.get_credentials()
        self.assertNotEqual(first.get_security_token(), second.get_security_token())
        c = ram_client((second.get_access_key_id(), second.get_access_key_secret()), second.get_security_token())
        c.list_users(ram.ListUsersRequest())
        self.assertClientError(lambda: c.delete_user(ram.DeleteUserRequest(user_name="alice")), "NoPermission", 403)

    @unittest.skipUnless(STS, STS_REASON)
    def test_24_credentials_minted_by_the_cli(self):
        # `ram sts assume-role` reads the same keys from the state file (no lock needed while
        # the server holds it); its credentials work against the server.
        out = subprocess.run([RAM_BIN, "--state", S["state"], "--json", "sts", "assume-role", "--caller",
                              "user/alice", "--role-arn", ROLE_ARN, "--session-name", "from-cli"],
                             check=True, capture_output=True, text=True).stdout
        c = json.loads(out)["Credentials"]
        who = sts_client((c["AccessKeyId"], c["AccessKeySecret"]), c["SecurityToken"]).get_caller_identity().body
        self.assertEqual(who.arn, f"acs:ram::{ACCOUNT}:assumed-role/reader/from-cli")

    @unittest.skipUnless(STS, STS_REASON)
    def test_30_expired_security_token(self):
        # Mint a 900 s token on a server whose clock is two hours behind (the client signs with
        # the same clock, through the SDK's timestamp function), then present it to a server on
        # the real clock. Both use the STS keys in the state file.
        from alibabacloud_tea_openapi import utils as tea_utils
        import datetime
        past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=2)
        stop_server()
        start_server(now=past.strftime("%Y-%m-%dT%H:%M:%SZ"))
        original = tea_utils.Utils.get_timestamp
        tea_utils.Utils.get_timestamp = staticmethod(
            lambda: (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=2))
            .strftime("%Y-%m-%dT%H:%M:%SZ"))
        try:
            r = self.assume(S["alice"], "short", duration_seconds=900)
        finally:
            tea_utils.Utils.get_timestamp = original
            stop_server()
            start_server()
        c = r.credentials
        for v1 in (False, True):
            client = sts_client((c.access_key_id, c.access_key_secret), c.security_token, v1=v1)
            self.assertClientError(client.get_caller_identity, "InvalidSecurityToken.Expired", 400)
        # The session of test_20 is still good.
        if "session" in S:
            creds, token = S["session"]
            sts_client(creds, token).get_caller_identity()


def load_tests(loader, tests, pattern):
    suite = unittest.TestSuite()
    suite.addTests(loader.loadTestsFromTestCase(Sdk))
    return suite


if __name__ == "__main__":
    unittest.main(verbosity=2)
