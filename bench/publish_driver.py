#!/usr/bin/env python3
"""Client side of bench/publish.sh: sets up an account, publishes a package repeatedly the way
`datapm publish` does, and times each request around its HTTP round trip only.

Python 3 standard library only. One keep-alive `http.client` connection to 127.0.0.1; every
request body is encoded before the clock starts, and the answer is parsed after it stops, so a
timing covers sending the request, the server's work and reading the whole answer.

    publish_driver.py URL FIXTURES_DIR OUT_DIR

Settings come from the environment (bench/publish.sh sets them): BENCH_ITERATIONS (timed
publishes, default 200), BENCH_PUBLISH_WARMUP (untimed publishes before them, default 10),
BENCH_FLOOR_REQUESTS (registryStatus requests timed to show the driver's own floor, default
200). Writes OUT_DIR/results.env (shell assignments for publish.sh), OUT_DIR/timings.csv (one line
per timed publish) and OUT_DIR/getpackage-<package>.json (the GetPackage bodies for wrk).
Progress and details go to standard error. Exits non-zero on any unexpected answer.
"""

import base64
import http.client
import json
import os
import re
import statistics
import sys
import time
import urllib.parse

USERNAME = "benchowner"
EMAIL = "benchowner@example.com"
PASSWORD = "bench-Passw0rd-publish"
PUBLIC_CATALOG = "bench-public"
PUBLISH_METHOD = "SCHEMA_ONLY"
TIMEOUT_S = 30

# The CLI's operations (client-lib RegistryClient, lib documents), as Apollo Client sends them:
# with __typename added to every object selection. See /work/shared/spec/api.md section 4.2.
GET_PACKAGE = """query GetPackage($identifier: PackageIdentifierInput!) {
  package(identifier: $identifier) {
    displayName
    description
    myPermissions
    identifier { registryURL catalogSlug packageSlug __typename }
    versions { identifier { versionMajor versionMinor versionPatch __typename } __typename }
    latestVersion {
      identifier { versionMajor versionMinor versionPatch __typename }
      packageFile
      canonicalPackageFile
      updatedAt
      __typename
    }
    __typename
  }
}"""

CREATE_PACKAGE = """mutation CreatePackage($value: CreatePackageInput!) {
  createPackage(value: $value) {
    identifier { registryURL catalogSlug packageSlug __typename }
    __typename
  }
}"""

UPDATE_PACKAGE = """mutation UpdatePackage($identifier: PackageIdentifierInput!, $value: UpdatePackageInput!) {
  updatePackage(identifier: $identifier, value: $value) {
    identifier { catalogSlug packageSlug __typename }
    catalog { myPermissions displayName __typename }
    displayName
    description
    myPermissions
    isPublic
    latestVersion {
      identifier { versionMajor versionMinor versionPatch __typename }
      packageFile
      __typename
    }
    __typename
  }
}"""

CREATE_VERSION = """mutation Createversion($identifier: PackageIdentifierInput!, $value: CreateVersionInput!) {
  createVersion(identifier: $identifier, value: $value) {
    identifier {
      registryURL catalogSlug packageSlug versionMajor versionMinor versionPatch __typename
    }
    packageFile
    createdAt
    __typename
  }
}"""

REGISTRY_STATUS = "query RegistryStatus { registryStatus { status version registryUrl __typename } }"


def log(message):
    print(message, file=sys.stderr, flush=True)


class Failure(Exception):
    pass


class Client:
    """One keep-alive connection; `post` returns (seconds, status, answer)."""

    def __init__(self, url):
        parsed = urllib.parse.urlsplit(url)
        if parsed.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise Failure(f"refusing to send load to {parsed.hostname}: loopback only")
        self.host, self.port = parsed.hostname, parsed.port
        self.path = parsed.path.rstrip("/") + "/graphql"
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT_S)

    def encode(self, query, variables=None, key=None, bearer=None):
        body = json.dumps({"query": query, "variables": variables or {}},
                          separators=(",", ":"), ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if key:
            headers["X-API-Key"] = key
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        return body, headers

    def send(self, body, headers):
        """Times one round trip of a prepared request: send, wait, read the whole answer."""
        started = time.perf_counter_ns()
        self.conn.request("POST", self.path, body=body, headers=headers)
        response = self.conn.getresponse()
        raw = response.read()
        elapsed = (time.perf_counter_ns() - started) / 1e9
        if response.will_close:
            # Keep-alive is the point; a server that closes would make every timing include a
            # new connection. Say so rather than measure it silently.
            raise Failure("the server closed the keep-alive connection")
        return elapsed, response.status, raw

    def post(self, query, variables=None, key=None, bearer=None):
        body, headers = self.encode(query, variables, key, bearer)
        elapsed, status, raw = self.send(body, headers)
        return elapsed, status, json.loads(raw), len(raw)


def data_of(answer, field, what):
    """The field of a successful answer, or a Failure naming what was being done."""
    if answer.get("errors"):
        raise Failure(f"{what}: {json.dumps(answer['errors'])[:500]}")
    value = (answer.get("data") or {}).get(field)
    if value is None and field not in (answer.get("data") or {}):
        raise Failure(f"{what}: no data.{field} in {json.dumps(answer)[:500]}")
    return value


# ---- the package file the CLI sends --------------------------------------------------------


def cli_package_file(path, registry_url, catalog_slug):
    """`datapm publish`'s packageFile for the fixture at `path` (tests/support/package_files.rs):
    readmeFile/licenseFile replaced by readmeMarkdown/licenseMarkdown holding the files' text,
    the chosen registry appended to `registries`. Returned as a dict in the file's key order."""
    with open(path, encoding="utf-8") as f:
        package = json.load(f)
    folder = os.path.dirname(path)
    for name_key, text_key in (("readmeFile", "readmeMarkdown"), ("licenseFile", "licenseMarkdown")):
        name = package.get(name_key)
        if isinstance(name, str):
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                package[text_key] = f.read()
            del package[name_key]

    def same(entry):
        return (str(entry.get("url", "")).lower() == registry_url.lower()
                and str(entry.get("catalogSlug", "")).lower() == catalog_slug.lower())

    registries = [e for e in package.get("registries") or [] if not same(e)]
    registries.append({"url": registry_url, "catalogSlug": catalog_slug,
                       "publishMethod": PUBLISH_METHOD})
    package["registries"] = registries
    return package


def js_stringify(value):
    """JSON.stringify: compact, non-ASCII kept as is (the fixtures have no index-like keys)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


# ---- statistics ----------------------------------------------------------------------------


def percentile(values, p):
    """Nearest-rank percentile (p in 0..100) of seconds, in milliseconds."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1] * 1000


def summary(values):
    return {
        "n": len(values),
        "p50": statistics.median(values) * 1000,
        "p90": percentile(values, 90),
        "p99": percentile(values, 99),
        "min": min(values) * 1000,
        "max": max(values) * 1000,
        "mean": statistics.fmean(values) * 1000,
    }


# ---- the steps -----------------------------------------------------------------------------


def sign_up(client):
    """createMe (verified at once without SMTP), login, createAPIKey with all three scopes."""
    value = {"username": USERNAME, "emailAddress": EMAIL, "password": PASSWORD,
             "firstName": "Bench", "lastName": "Owner"}
    _, _, answer, _ = client.post(
        "mutation CreateMe($value: CreateUserInput!) { createMe(value: $value) }", {"value": value})
    data_of(answer, "createMe", "createMe")
    _, _, answer, _ = client.post(
        "mutation Login($username: String!, $password: String!) "
        "{ login(username: $username, password: $password) }",
        {"username": USERNAME, "password": PASSWORD})
    jwt = data_of(answer, "login", "login")
    scopes = ["MANAGE_API_KEYS", "MANAGE_PRIVATE_ASSETS", "READ_PRIVATE_ASSETS"]
    _, _, answer, _ = client.post(
        "mutation CreateAPIKey($value: CreateAPIKeyInput!) "
        "{ createAPIKey(value: $value) { secret label scopes id __typename } }",
        {"value": {"label": "bench", "scopes": scopes}}, bearer=jwt)
    created = data_of(answer, "createAPIKey", "createAPIKey")
    return base64.b64encode(f"{created['id']}.{created['secret']}".encode()).decode()


def public_catalog(client, key):
    """Makes the personal catalog public; if that is refused, creates a public catalog."""
    _, _, answer, _ = client.post(
        "mutation UpdateCatalog($identifier: CatalogIdentifierInput!, $value: UpdateCatalogInput!) "
        "{ updateCatalog(identifier: $identifier, value: $value) "
        "{ identifier { catalogSlug } isPublic } }",
        {"identifier": {"catalogSlug": USERNAME}, "value": {"isPublic": True}}, key=key)
    if not answer.get("errors") and answer["data"]["updateCatalog"]["isPublic"] is True:
        log(f"  personal catalog {USERNAME} made public")
        return USERNAME
    log(f"  the personal catalog could not be made public ({json.dumps(answer)[:300]}); "
        f"creating {PUBLIC_CATALOG}")
    _, _, answer, _ = client.post(
        "mutation CreateCatalog($value: CreateCatalogInput!) "
        "{ createCatalog(value: $value) { identifier { catalogSlug } isPublic } }",
        {"value": {"slug": PUBLIC_CATALOG, "displayName": "Bench public", "isPublic": True}},
        key=key)
    data_of(answer, "createCatalog", "createCatalog")
    return PUBLIC_CATALOG


def publish_once(client, key, catalog, package):
    """The CLI's step 3 (uploadPackageFile) for one package file dict. Returns the times of each
    request, or None where a request was not sent, and checks every answer."""
    identifier = {"catalogSlug": catalog, "packageSlug": package["packageSlug"]}
    # Every body is encoded before the first clock starts.
    get_req = client.encode(GET_PACKAGE, {"identifier": identifier}, key=key)
    update_req = client.encode(UPDATE_PACKAGE, {
        "identifier": identifier,
        "value": {"description": package["description"], "displayName": package["displayName"]},
    }, key=key)
    create_pkg_req = client.encode(CREATE_PACKAGE, {"value": {
        "catalogSlug": catalog, "packageSlug": package["packageSlug"],
        "displayName": package["displayName"], "description": package["description"],
    }}, key=key)
    version_req = client.encode(CREATE_VERSION, {
        "identifier": identifier, "value": {"packageFile": js_stringify(package)},
    }, key=key)

    times = {}
    t_get, status, raw = client.send(*get_req)
    times["get"] = t_get
    answer = json.loads(raw)
    errors = answer.get("errors") or []
    if errors and "PACKAGE_NOT_FOUND" in errors[0].get("message", ""):
        t, status, raw = client.send(*create_pkg_req)
        times["create_package"] = t
        data_of(json.loads(raw), "createPackage", "CreatePackage")
    else:
        data_of(answer, "package", "GetPackage")
        t, status, raw = client.send(*update_req)
        times["update"] = t
        updated = data_of(json.loads(raw), "updatePackage", "UpdatePackage")
        if updated["description"] != package["description"]:
            raise Failure("UpdatePackage did not store the description")
    t, status, raw = client.send(*version_req)
    times["create_version"] = t
    created = data_of(json.loads(raw), "createVersion", "Createversion")
    number = "{versionMajor}.{versionMinor}.{versionPatch}".format(**created["identifier"])
    if number != package["version"]:
        raise Failure(f"Createversion answered version {number}, sent {package['version']}")
    if not created.get("packageFile"):
        raise Failure("Createversion answered no packageFile")
    times["sequence"] = sum(times.values())
    return times


def check_answer(client, catalog, slug, key, want_canonical):
    """The GetPackage answer wrk will get: its size, and which package files it carries."""
    identifier = {"catalogSlug": catalog, "packageSlug": slug}
    _, status, answer, size = client.post(GET_PACKAGE, {"identifier": identifier}, key=key)
    who = "with the owner's API key" if key else "anonymously"
    package = data_of(answer, "package", f"GetPackage {catalog}/{slug} {who}")
    if status != 200:
        raise Failure(f"GetPackage {who} answered HTTP {status}")
    latest = package.get("latestVersion") or {}
    file_text = latest.get("packageFile")
    canonical = latest.get("canonicalPackageFile")
    if not file_text or json.loads(file_text).get("packageSlug") != slug:
        raise Failure(f"GetPackage {who}: latestVersion.packageFile is missing")
    if want_canonical and not canonical:
        raise Failure(f"GetPackage {who}: canonicalPackageFile is missing")
    if not want_canonical and canonical is not None:
        raise Failure(f"GetPackage {who}: canonicalPackageFile is unexpectedly present")
    # Sizes as they travel: the files are JSON strings inside the answer, so quotes are escaped.
    escaped = lambda text: len(json.dumps(text, ensure_ascii=False).encode()) if text else 0
    log(f"  GetPackage {catalog}/{slug} {who}: {size} bytes; packageFile {escaped(file_text)} "
        f"bytes, canonicalPackageFile "
        f"{escaped(canonical) if canonical else 'null'}; versions: {len(package['versions'])}; "
        f"myPermissions {package['myPermissions']}")
    return {"size": size, "file": escaped(file_text), "canonical": escaped(canonical),
            "versions": len(package["versions"])}


def main():
    url, fixtures, out = sys.argv[1:4]
    iterations = int(os.environ.get("BENCH_ITERATIONS", "200"))
    warmup = int(os.environ.get("BENCH_PUBLISH_WARMUP", "10"))
    floor_requests = int(os.environ.get("BENCH_FLOOR_REQUESTS", "200"))
    if not 1 <= iterations <= 5000 or not 0 <= warmup <= 1000:
        raise Failure("BENCH_ITERATIONS must be 1..5000 and BENCH_PUBLISH_WARMUP 0..1000")
    client = Client(url)
    results = {}

    # The driver's own floor: the smallest GraphQL round trip, through the same code path.
    status_req = client.encode(REGISTRY_STATUS)
    for _ in range(20):
        client.send(*status_req)
    floor = []
    for _ in range(floor_requests):
        t, status, raw = client.send(*status_req)
        if status != 200 or b"SERVING_REQUESTS" not in raw:
            raise Failure(f"registryStatus answered {status}: {raw[:200]!r}")
        floor.append(t)
    results["floor"] = summary(floor)

    log("  account: createMe, login, createAPIKey")
    key = sign_up(client)
    catalog = public_catalog(client, key)
    registry_url = json.loads(client.send(*status_req)[2])["data"]["registryStatus"]["registryUrl"]

    orders_path = os.path.join(fixtures, "orders-large", "orders-large-1.0.0.datapm.json")
    sensor_path = os.path.join(fixtures, "sensor-readings", "sensor-readings-1.0.0.datapm.json")
    orders = cli_package_file(orders_path, registry_url, catalog)
    base_description = orders["description"]
    log(f"  orders-large packageFile as sent: {len(js_stringify(orders).encode())} bytes")

    # 1.0.0: the first publish (GetPackage → PACKAGE_NOT_FOUND → CreatePackage → Createversion).
    first = publish_once(client, key, catalog, orders)
    results["first"] = {k: v * 1000 for k, v in first.items()}

    # Then a patch release per iteration, each with a new description: a real new version
    # (CHANGE_PACKAGE_DESCRIPTION grades as a patch-level change), never the identical-file path.
    samples = {"get": [], "update": [], "create_version": [], "sequence": []}
    total = warmup + iterations
    with open(os.path.join(out, "timings.csv"), "w", encoding="utf-8") as csv:
        csv.write("patch,timed,get_ms,update_ms,create_version_ms,sequence_ms\n")
        for patch in range(1, total + 1):
            orders["version"] = f"1.0.{patch}"
            orders["description"] = f"{base_description} (benchmark publish {patch})"
            times = publish_once(client, key, catalog, orders)
            timed = patch > warmup
            csv.write(f"{patch},{int(timed)},{times['get'] * 1000:.3f},{times['update'] * 1000:.3f},"
                      f"{times['create_version'] * 1000:.3f},{times['sequence'] * 1000:.3f}\n")
            if timed:
                for name in samples:
                    samples[name].append(times[name])
            if patch % 50 == 0:
                log(f"  published 1.0.{patch}")
    for name, values in samples.items():
        results[name] = summary(values)
    # How the GetPackage time grows as the package gathers versions.
    results["get_first20"] = summary(samples["get"][:20])
    results["get_last20"] = summary(samples["get"][-20:])

    # The read load's packages: sensor-readings with one version, and orders-large with all of
    # the versions just published. Public package in a public catalog, so anonymous reads work.
    sensor = cli_package_file(sensor_path, registry_url, catalog)
    publish_once(client, key, catalog, sensor)
    for slug in ("sensor-readings", "orders-large"):
        _, _, answer, _ = client.post(
            UPDATE_PACKAGE,
            {"identifier": {"catalogSlug": catalog, "packageSlug": slug},
             "value": {"isPublic": True}}, key=key)
        if data_of(answer, "updatePackage", f"make {slug} public")["isPublic"] is not True:
            raise Failure(f"{slug} did not become public")
    answers = {
        "sensor_anon": check_answer(client, catalog, "sensor-readings", None, False),
        "sensor_key": check_answer(client, catalog, "sensor-readings", key, True),
        "orders_anon": check_answer(client, catalog, "orders-large", None, False),
    }
    for slug in ("sensor-readings", "orders-large"):
        body = {"operationName": "GetPackage", "query": GET_PACKAGE,
                "variables": {"identifier": {"catalogSlug": catalog, "packageSlug": slug}}}
        with open(os.path.join(out, f"getpackage-{slug}.json"), "w", encoding="utf-8") as f:
            f.write(json.dumps(body, separators=(",", ":")))

    # Shell assignments for publish.sh; every value is a number or a base64/slug string.
    lines = [f"API_KEY='{key}'", f"CATALOG='{catalog}'", f"ITERATIONS={iterations}",
             f"WARMUP_PUBLISHES={warmup}", f"SENT_BYTES={len(js_stringify(orders).encode())}"]
    for name, stats in results.items():
        for stat, value in stats.items():
            lines.append(f"{name.upper()}_{stat.upper()}={value:.2f}" if isinstance(value, float)
                         else f"{name.upper()}_{stat.upper()}={value}")
    for name, sizes in answers.items():
        for stat, value in sizes.items():
            lines.append(f"ANSWER_{name.upper()}_{stat.upper()}={value}")
    for line in lines:
        if not re.fullmatch(r"[A-Z0-9_]+=('[A-Za-z0-9+/=_-]*'|[0-9.]+)", line):
            raise Failure(f"refusing to write an unsafe shell line: {line[:80]}")
    with open(os.path.join(out, "results.env"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    s = results
    log(f"  createVersion p50 {s['create_version']['p50']:.2f} ms, publish sequence p50 "
        f"{s['sequence']['p50']:.2f} ms, driver floor p50 {s['floor']['p50']:.3f} ms")


if __name__ == "__main__":
    try:
        main()
    except (Failure, OSError, http.client.HTTPException, json.JSONDecodeError) as e:
        log(f"publish_driver.py: {e}")
        sys.exit(1)
