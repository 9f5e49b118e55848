// Drives the registry's Socket.IO data channel at /ws/ with socket.io-client 4 and
// socket.io-msgpack-parser 3, the libraries the DataPM CLI uses, and checks what comes back.
//
// Settings come from the environment (the Rust test `tests/socket.rs` sets them):
//   REGISTRY_URL  the registry, e.g. http://127.0.0.1:4000
//   OWNER_KEY     API key of the catalog owner (EDIT on every package)
//   OWNER_JWT     a login token of the same user
//   READER_KEY    API key of a user without EDIT
//   CATALOG       catalog holding sensor-readings and orders-large (public) and people-unicode
//                 (private), each published with SCHEMA_AND_DATA
//   DATA_DIR      folder of the fixture CSV files
//   SCENARIOS     optional subset of the scenario names below, separated by `|`
//
// Prints `ok <scenario>` per passing scenario and `figure <name>=<value>` lines; exits 1 with
// `FAILED <scenario>: <reason>` on the first failure.
"use strict";

const fs = require("fs");
const path = require("path");
const util = require("util");
const { io } = require("socket.io-client");
const msgpackParser = require("socket.io-msgpack-parser");

const env = (name) => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} must be set`);
    return value;
};

const REGISTRY_URL = env("REGISTRY_URL");
const CATALOG = env("CATALOG");
const DATA_DIR = env("DATA_DIR");

// ---- connections ------------------------------------------------------------------------

/** Connects as the CLI does and resolves once the server says `ready`. */
function connect(auth) {
    return new Promise((resolve, reject) => {
        const socket = io(REGISTRY_URL, {
            path: "/ws/",
            parser: msgpackParser,
            transports: ["polling", "websocket"],
            auth: auth || {},
            reconnection: false
        });
        const timer = setTimeout(() => {
            socket.close();
            reject(new Error("no ready event within 5 s"));
        }, 5000);
        socket.once("ready", () => {
            clearTimeout(timer);
            resolve(socket);
        });
        socket.once("disconnect", (reason) => {
            clearTimeout(timer);
            reject(new Error(`disconnected before ready: ${reason}`));
        });
        socket.once("connect_error", (error) => {
            clearTimeout(timer);
            reject(new Error(`connect_error: ${error.message}`));
        });
    });
}

const owner = () => connect({ token: env("OWNER_KEY") });

/** Emits with an acknowledgement and resolves with it. */
function request(socket, event, body, timeoutMs = 10000) {
    return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no answer to ${event}`)), timeoutMs);
        socket.emit(event, body, (answer) => {
            clearTimeout(timer);
            resolve(answer);
        });
    });
}

function expectOk(answer, responseType) {
    if (!answer || answer.responseType !== responseType) {
        throw new Error(`expected ${responseType}, got ${JSON.stringify(answer)}`);
    }
    return answer;
}

function expectError(answer, errorType) {
    if (!answer || answer.responseType !== "error" || answer.errorType !== errorType) {
        throw new Error(`expected an ${errorType} error, got ${JSON.stringify(answer)}`);
    }
    return answer;
}

// ---- fixture data -------------------------------------------------------------------------

/** Splits one CSV line, honouring double quotes. */
function csvFields(line) {
    const fields = [];
    let field = "";
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
        const c = line[i];
        if (quoted) {
            if (c === '"' && line[i + 1] === '"') {
                field += '"';
                i++;
            } else if (c === '"') quoted = false;
            else field += c;
        } else if (c === '"') quoted = true;
        else if (c === ",") {
            fields.push(field);
            field = "";
        } else field += c;
    }
    fields.push(field);
    return fields;
}

/** A CSV value as the CLI's inspection types it: null, boolean, number, Date or string. */
function typed(text) {
    if (text === "") return null;
    if (text === "true" || text === "false") return text === "true";
    if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
    if (/^\d{4}-\d{2}-\d{2}(T[\d:.]+Z)?$/.test(text)) return new Date(text);
    return text;
}

function records(file) {
    const lines = fs.readFileSync(path.join(DATA_DIR, file), "utf8").split("\n").filter((l) => l !== "");
    const names = csvFields(lines[0]);
    return lines.slice(1).map((line) => {
        const values = csvFields(line);
        const record = {};
        names.forEach((name, i) => (record[name] = typed(values[i])));
        return record;
    });
}

// ---- the protocol, as the CLI's DataPM sink and source use it ------------------------------

function streamOf(packageSlug) {
    return {
        registryUrl: REGISTRY_URL,
        catalogSlug: CATALOG,
        packageSlug,
        majorVersion: 1,
        schemaTitle: packageSlug,
        sourceType: "file",
        sourceSlug: "file",
        streamSetSlug: packageSlug,
        streamSlug: packageSlug
    };
}

async function startUpload(socket, packageSlug, newBatch) {
    const answer = await request(socket, "startDataUpload", {
        requestType: "startDataUpload",
        schemaStreamIdentifier: streamOf(packageSlug),
        newBatch,
        updateMethod: "BATCH_FULL_SET"
    });
    return expectOk(answer, "startDataUploadResponse");
}

/** Appends to the stream's latest batch, waiting up to 3 s for another session to let go. */
async function startUploadWhenUnlocked(socket, packageSlug) {
    for (let attempt = 0; ; attempt++) {
        const answer = await request(socket, "startDataUpload", {
            requestType: "startDataUpload",
            schemaStreamIdentifier: streamOf(packageSlug),
            newBatch: false,
            updateMethod: "BATCH_FULL_SET"
        });
        if (answer.errorType !== "streamLocked" || attempt >= 30) {
            return expectOk(answer, "startDataUploadResponse");
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
}

/** Sends `rows` with offsets from `firstOffset`, `perMessage` at a time, each acknowledged. */
async function upload(socket, channel, rows, firstOffset, perMessage) {
    for (let start = 0; start < rows.length; start += perMessage) {
        const slice = rows.slice(start, start + perMessage);
        const message = slice.map((record, i) => ({ offset: firstOffset + start + i, record }));
        const answer = await request(socket, channel, { requestType: "uploadData", records: message });
        expectOk(answer, "uploadResponse");
    }
}

async function stopUpload(socket, channel) {
    expectOk(await request(socket, channel, { requestType: "uploadStop" }), "uploadStopResponse");
}

async function setActive(socket, batchIdentifier) {
    const answer = await request(socket, "setStreamActiveBatchesRequest", {
        requestType: "setStreamActiveBatchesRequest",
        batchIdentifiers: [batchIdentifier]
    });
    expectOk(answer, "setStreamActiveBatchesResponse");
}

async function openFetch(socket, batchIdentifier) {
    return request(socket, "openFetchChannel", { requestType: "openFetchChannel", batchIdentifier });
}

/** Fetches a batch from `offset` and resolves with the records received. */
async function fetchBatch(socket, batchIdentifier, offset) {
    const opened = expectOk(await openFetch(socket, batchIdentifier), "openFetchChannelResponse");
    return new Promise((resolve, reject) => {
        const received = [];
        const timer = setTimeout(() => reject(new Error("fetch did not finish in 120 s")), 120000);
        socket.on(opened.channelName, (message, ack) => {
            if (message.requestType === "data") {
                received.push(...message.records);
                ack({ responseType: "dataAcknowledge" });
            } else if (message.requestType === "fetchDataStop") {
                if (ack) ack({ responseType: "fetchDataStopAcknowledge" });
                clearTimeout(timer);
                socket.off(opened.channelName);
                resolve(received);
            } else if (message.responseType === "error") {
                clearTimeout(timer);
                reject(new Error(`fetch error: ${JSON.stringify(message)}`));
            }
        });
        socket.emit(opened.channelName, { requestType: "fetchDataStart", offset });
    });
}

/** Compares record by record; Dates must come back as Dates with the same time. */
function compare(received, rows, firstOffset) {
    if (received.length !== rows.length) {
        throw new Error(`received ${received.length} records, expected ${rows.length}`);
    }
    received.forEach((item, i) => {
        if (item.offset !== firstOffset + i) {
            throw new Error(`record ${i} has offset ${item.offset}, expected ${firstOffset + i}`);
        }
        if (!util.isDeepStrictEqual(item.record, rows[i])) {
            throw new Error(
                `record at offset ${item.offset} differs: ${util.inspect(item.record)} != ${util.inspect(rows[i])}`
            );
        }
    });
}

const seconds = (start) => Number(process.hrtime.bigint() - start) / 1e9;

// ---- scenarios ----------------------------------------------------------------------------

const scenarios = {
    async "handshake with a bad API key is refused"() {
        try {
            const socket = await connect({ token: "bm90LWEta2V5" });
            socket.close();
        } catch (error) {
            return;
        }
        throw new Error("a bad API key got `ready`");
    },

    async "a JWT in auth.bearer connects and a bad one is refused"() {
        const socket = await connect({ bearer: env("OWNER_JWT") });
        const answer = await request(socket, "schemaInfoRequest", {
            requestType: "schemaInfoRequest",
            identifier: { registryUrl: REGISTRY_URL, catalogSlug: CATALOG, packageSlug: "people-unicode", majorVersion: 1 }
        });
        expectOk(answer, "schemaInfoResponse");
        socket.close();
        try {
            (await connect({ bearer: "not.a.token" })).close();
        } catch (error) {
            return;
        }
        throw new Error("a bad JWT got `ready`");
    },

    async "sensor-readings round trip with dates and nulls"() {
        const rows = records("sensor-readings.csv");
        const socket = await owner();
        const started = await startUpload(socket, "sensor-readings", true);
        await upload(socket, started.channelName, rows, 0, 100);
        await stopUpload(socket, started.channelName);
        await setActive(socket, started.batchIdentifier);

        const info = expectOk(
            await request(socket, "schemaInfoRequest", {
                requestType: "schemaInfoRequest",
                identifier: { registryUrl: REGISTRY_URL, catalogSlug: CATALOG, packageSlug: "sensor-readings", majorVersion: 1 }
            }),
            "schemaInfoResponse"
        );
        const active = info.batchesBySchema["sensor-readings"];
        if (!active || active.length !== 1 || active[0].highestOffset !== rows.length - 1) {
            throw new Error(`unexpected schema info: ${util.inspect(info, { depth: 5 })}`);
        }
        if (!(active[0].updatedAt instanceof Date)) throw new Error("updatedAt is not a Date");
        active[0].updatedAt.toISOString();

        compare(await fetchBatch(socket, active[0].batchIdentifier, 0), rows, 0);
        socket.close();
    },

    async "append to a batch, switch the active batch and read from an offset"() {
        const rows = records("sensor-readings.csv");
        const socket = await owner();
        const first = await startUpload(socket, "sensor-readings", true);
        await upload(socket, first.channelName, rows.slice(0, 300), 0, 100);
        await stopUpload(socket, first.channelName);

        const appended = await startUpload(socket, "sensor-readings", false);
        if (appended.batchIdentifier.batch !== first.batchIdentifier.batch) {
            throw new Error("appending opened another batch");
        }
        await upload(socket, appended.channelName, rows.slice(300), 300, 70);
        await stopUpload(socket, appended.channelName);
        await setActive(socket, first.batchIdentifier);

        const state = expectOk(
            await request(socket, "packageVersionSinkStateRequest", {
                requestType: "packageVersionSinkStateRequest",
                identifier: { registryUrl: REGISTRY_URL, catalogSlug: CATALOG, packageSlug: "sensor-readings", majorVersion: 1 }
            }),
            "packageVersionSinkStateResponse"
        ).state;
        const stream = state.streamSets["sensor-readings"].streamStates["sensor-readings"];
        if (stream.streamOffset !== rows.length - 1 || !(state.timestamp instanceof Date)) {
            throw new Error(`unexpected sink state: ${util.inspect(state, { depth: 6 })}`);
        }
        if (state.packageVersion !== "1.0.0") throw new Error(`packageVersion ${state.packageVersion}`);

        compare(await fetchBatch(socket, first.batchIdentifier, 333), rows.slice(333), 333);
        socket.close();
    },

    async "orders-large 200,000 rows up and down"() {
        const rows = records("orders-large.csv");
        const socket = await owner();
        const started = await startUpload(socket, "orders-large", true);
        let clock = process.hrtime.bigint();
        await upload(socket, started.channelName, rows, 0, 1000);
        await stopUpload(socket, started.channelName);
        const up = seconds(clock);
        await setActive(socket, started.batchIdentifier);

        clock = process.hrtime.bigint();
        const received = await fetchBatch(socket, started.batchIdentifier, 0);
        const down = seconds(clock);
        compare(received, rows, 0);
        console.log(`figure transport=${socket.io.engine.transport.name}`);
        console.log(`figure upload_records_per_s=${Math.round(rows.length / up)}`);
        console.log(`figure fetch_records_per_s=${Math.round(rows.length / down)}`);
        socket.close();
    },

    async "anonymous fetch of a public package works and of a private one is refused"() {
        const rows = records("people-unicode.csv");
        const socket = await owner();
        const started = await startUpload(socket, "people-unicode", true);
        await upload(socket, started.channelName, rows, 0, 2);
        await stopUpload(socket, started.channelName);
        await setActive(socket, started.batchIdentifier);
        compare(await fetchBatch(socket, started.batchIdentifier, 0), rows, 0);
        socket.close();

        const anonymous = await connect();
        expectError(await openFetch(anonymous, started.batchIdentifier), "notAuthorized");
        const privateVersion = { registryUrl: REGISTRY_URL, catalogSlug: CATALOG, packageSlug: "people-unicode", majorVersion: 1 };
        for (const requestType of ["schemaInfoRequest", "packageVersionSinkStateRequest"]) {
            const answer = await request(anonymous, requestType, { requestType, identifier: privateVersion });
            expectError(answer, "notAuthorized");
        }
        const missing = await openFetch(anonymous, { ...streamOf("sensor-readings"), batch: 99 });
        if (expectError(missing, "serverError").message !== "BATCH_NOT_FOUND") {
            throw new Error(`a missing batch refused with ${missing.message}`);
        }
        const publicBatch = { ...streamOf("sensor-readings"), batch: 1 };
        const received = await fetchBatch(anonymous, publicBatch, 0);
        compare(received, records("sensor-readings.csv"), 0);
        anonymous.close();
    },

    async "upload without EDIT is refused"() {
        const reader = await connect({ token: env("READER_KEY") });
        const answer = await request(reader, "startDataUpload", {
            requestType: "startDataUpload",
            schemaStreamIdentifier: streamOf("sensor-readings"),
            newBatch: true,
            updateMethod: "BATCH_FULL_SET"
        });
        expectError(answer, "notAuthorized");
        const choice = {
            requestType: "setStreamActiveBatchesRequest",
            batchIdentifiers: [{ ...streamOf("sensor-readings"), batch: 1 }]
        };
        expectError(await request(reader, "setStreamActiveBatchesRequest", choice), "notAuthorized");
        reader.close();

        const anonymous = await connect();
        expectError(await request(anonymous, "setStreamActiveBatchesRequest", choice), "notAuthorized");
        const refused = await request(anonymous, "startDataUpload", {
            requestType: "startDataUpload",
            schemaStreamIdentifier: streamOf("sensor-readings"),
            newBatch: true,
            updateMethod: "BATCH_FULL_SET"
        });
        if (expectError(refused, "notAuthorized").message !== "Not authenticated") {
            throw new Error(`anonymous upload refused with ${refused.message}`);
        }
        anonymous.close();
    },

    async "an unknown package or schema is refused"() {
        const socket = await owner();
        const start = (schemaStreamIdentifier) =>
            request(socket, "startDataUpload", {
                requestType: "startDataUpload",
                schemaStreamIdentifier,
                newBatch: true,
                updateMethod: "BATCH_FULL_SET"
            });
        const missing = await start({ ...streamOf("sensor-readings"), packageSlug: "no-such-package" });
        if (expectError(missing, "notFound").message !== "PACKAGE_OR_CATALOG_NOT_FOUND") {
            throw new Error(`missing package refused with ${missing.message}`);
        }
        const schema = await start({ ...streamOf("sensor-readings"), schemaTitle: "no-such-schema" });
        if (!expectError(schema, "notValid").message.startsWith("SCHEMA_NOT_VALID")) {
            throw new Error(`unknown schema refused with ${schema.message}`);
        }
        socket.close();
    },

    async "a second concurrent uploader gets streamLocked"() {
        const first = await owner();
        const second = await owner();
        const started = await startUpload(first, "sensor-readings", true);
        const clock = process.hrtime.bigint();
        const answer = await request(second, "startDataUpload", {
            requestType: "startDataUpload",
            schemaStreamIdentifier: streamOf("sensor-readings"),
            newBatch: true,
            updateMethod: "BATCH_FULL_SET"
        }, 2000);
        expectError(answer, "streamLocked");
        if (seconds(clock) > 1) throw new Error("streamLocked took more than a second");
        await stopUpload(first, started.channelName);
        const again = await startUpload(second, "sensor-readings", false);
        await stopUpload(second, again.channelName);
        first.close();
        second.close();
    },

    async "a connection dropped mid-upload leaves the acknowledged records readable"() {
        const rows = records("sensor-readings.csv");
        const socket = await owner();
        const started = await startUpload(socket, "sensor-readings", true);
        await upload(socket, started.channelName, rows.slice(0, 120), 0, 40);
        // One more message goes out, and the connection drops before its answer can matter.
        socket.emit(started.channelName, {
            requestType: "uploadData",
            records: rows.slice(120, 160).map((record, i) => ({ offset: 120 + i, record }))
        });
        socket.io.engine.close();

        // Once the server has seen the drop, the stream is unlocked and the batch ends at the
        // last stored offset; appending continues from there.
        const reader = await owner();
        const appended = await startUploadWhenUnlocked(reader, "sensor-readings");
        const received = await fetchBatch(reader, started.batchIdentifier, 0);
        if (received.length !== 120 && received.length !== 160) {
            throw new Error(`after the drop ${received.length} records are readable`);
        }
        compare(received, rows.slice(0, received.length), 0);
        await upload(reader, appended.channelName, rows.slice(received.length), received.length, 100);
        await stopUpload(reader, appended.channelName);
        compare(await fetchBatch(reader, started.batchIdentifier, 0), rows, 0);
        reader.close();
    }
};

async function main() {
    const chosen = process.env.SCENARIOS ? process.env.SCENARIOS.split("|") : Object.keys(scenarios);
    for (const name of chosen) {
        const scenario = scenarios[name];
        if (!scenario) throw new Error(`no scenario named ${name}`);
        try {
            await scenario();
        } catch (error) {
            console.log(`FAILED ${name}: ${error.stack || error}`);
            process.exit(1);
        }
        console.log(`ok ${name}`);
    }
    process.exit(0);
}

main();
