#!/usr/bin/env node
// OPC UA face of the simulated plant (docs/simulated-plant.md).
// Usage: node plant-server.js --port 4840 --pki /tmp/plant-pki [--host 127.0.0.1]
// The .NET PlantHost writes one JSON object per line on stdin:
//   {"ts":"2026-11-25T08:00:00.000Z","quality":"good"|"bad","faults":["bearing"],"values":{"vibration.rms":1.2,...}}
// Each line updates the variables under Objects/PumpLine (ns=1;s=PumpLine.<signal>). The server exits when stdin
// closes, so it never outlives its parent. Prints "READY <endpointUrl>" on stdout once the endpoint listens.
"use strict";
const path = require("path");
const readline = require("readline");
const {
  OPCUAServer, OPCUACertificateManager, SecurityPolicy, MessageSecurityMode,
  DataType, Variant, StatusCodes, standardUnits, makeEUInformation,
} = require("node-opcua");

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const port = parseInt(arg("port", "4840"), 10);
const host = arg("host", "127.0.0.1");
const pki = arg("pki", null);
if (!pki) {
  console.error("--pki <folder> is required (certificate stores are created inside it, never in the home folder)");
  process.exit(2);
}

// Same order, names and units as SimulatedPlant.Process.PlantSignals.
const signals = [
  ["vibration.rms", "Vibration velocity RMS", makeEUInformation("C16", "mm/s", "millimetre per second"), [0, 50]],
  ["vibration.1x", "Vibration 1x running speed", makeEUInformation("C16", "mm/s", "millimetre per second"), [0, 50]],
  ["vibration.2x", "Vibration 2x running speed", makeEUInformation("C16", "mm/s", "millimetre per second"), [0, 50]],
  ["vibration.3x", "Vibration 3x running speed", makeEUInformation("C16", "mm/s", "millimetre per second"), [0, 50]],
  ["vibration.bearing", "Vibration bearing band (BPFO/BPFI)", makeEUInformation("C16", "mm/s", "millimetre per second"), [0, 50]],
  ["vibration.crest", "Vibration crest factor", makeEUInformation("C62", "1", "one"), [0, 20]],
  ["temperature", "Bearing housing temperature", standardUnits.degree_celsius, [-20, 200]],
  ["pressure", "Discharge pressure", standardUnits.bar, [0, 10]],
  ["flow", "Flow", standardUnits.cubic_metre_per_hour, [0, 200]],
  ["current", "Motor current", standardUnits.ampere, [0, 100]],
  ["speed", "Shaft speed", standardUnits.revolutions_per_minute, [0, 4000]],
];

async function main() {
  const serverCertificateManager = new OPCUACertificateManager({
    rootFolder: path.join(pki, "server"),
    automaticallyAcceptUnknownCertificate: true,
  });
  const userCertificateManager = new OPCUACertificateManager({
    rootFolder: path.join(pki, "user"),
    automaticallyAcceptUnknownCertificate: true,
  });
  const server = new OPCUAServer({
    port,
    hostname: host,
    resourcePath: "/",
    serverCertificateManager,
    userCertificateManager,
    securityPolicies: [SecurityPolicy.None],
    securityModes: [MessageSecurityMode.None],
    allowAnonymous: true,
    buildInfo: { productName: "SimulatedPlant", manufacturerName: "Edge AI module suite", softwareVersion: "1.0.0" },
    serverInfo: { applicationUri: "urn:edge-suite:simulated-plant", productUri: "urn:edge-suite:simulated-plant" },
  });
  await server.initialize();

  const addressSpace = server.engine.addressSpace;
  const ns = addressSpace.getOwnNamespace();
  const pumpLine = ns.addObject({ organizedBy: addressSpace.rootFolder.objects, browseName: "PumpLine", nodeId: "s=PumpLine" });
  const variables = new Map();
  for (const [name, description, units, range] of signals) {
    const v = ns.addAnalogDataItem({
      componentOf: pumpLine,
      browseName: name,
      nodeId: `s=PumpLine.${name}`,
      description,
      dataType: "Double",
      engineeringUnits: units,
      engineeringUnitsRange: { low: range[0], high: range[1] },
      minimumSamplingInterval: 100,
    });
    // Bad until the first value arrives.
    v.setValueFromSource(new Variant({ dataType: DataType.Double, value: 0 }), StatusCodes.BadWaitingForInitialData);
    variables.set(name, v);
  }
  const faults = ns.addVariable({
    componentOf: pumpLine,
    browseName: "faults",
    nodeId: "s=PumpLine.faults",
    description: "Active faults, comma separated",
    dataType: "String",
    minimumSamplingInterval: 100,
  });
  faults.setValueFromSource(new Variant({ dataType: DataType.String, value: "" }));

  const input = readline.createInterface({ input: process.stdin });
  input.on("line", (line) => {
    let update;
    try {
      update = JSON.parse(line);
    } catch (e) {
      console.error(`ignoring malformed line: ${e.message}`);
      return;
    }
    const ts = update.ts ? new Date(update.ts) : new Date();
    // sensor-dropout: the field device does not answer, so every value goes BadNoCommunication (last value kept).
    const status = update.quality === "bad" ? StatusCodes.BadNoCommunication : StatusCodes.Good;
    for (const [name, value] of Object.entries(update.values || {})) {
      const v = variables.get(name);
      if (v && typeof value === "number") {
        v.setValueFromSource(new Variant({ dataType: DataType.Double, value }), status, ts);
      }
    }
    faults.setValueFromSource(new Variant({ dataType: DataType.String, value: (update.faults || []).join(",") }), StatusCodes.Good, ts);
  });

  let stopping = false;
  const stop = async (code) => {
    if (stopping) return;
    stopping = true;
    try { await server.shutdown(0); } catch { /* exiting anyway */ }
    process.exit(code);
  };
  input.on("close", () => stop(0));
  process.on("SIGTERM", () => stop(0));
  process.on("SIGINT", () => stop(0));

  await server.start();
  process.stdout.write(`READY ${server.getEndpointUrl()}\n`);
}

main().catch((e) => {
  console.error(`FAILED ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
