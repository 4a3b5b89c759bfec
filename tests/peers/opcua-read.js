#!/usr/bin/env node
// OPC UA peer for the SimulatedPlant tests: reads variables with node-opcua's client and prints one JSON object.
// Usage: node opcua-read.js --modules <folder with node_modules/node-opcua> --pki <folder> --endpoint opc.tcp://... nodeId...
// Output: {"values":[{"nodeId","value","status"}],"units":{"<nodeId>":"<displayName of EngineeringUnits>"}}
"use strict";
const path = require("path");
const { createRequire } = require("module");

function arg(name) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const modules = arg("modules");
const pki = arg("pki");
const endpoint = arg("endpoint");
const nodeIds = process.argv.slice(2).filter((a, i, all) => !a.startsWith("--") && !(i > 0 && all[i - 1].startsWith("--")));
const opcua = createRequire(path.join(path.resolve(modules), "package.json"))("node-opcua");
const { OPCUAClient, OPCUACertificateManager, MessageSecurityMode, SecurityPolicy, AttributeIds, makeBrowsePath } = opcua;

async function main() {
  const client = OPCUAClient.create({
    endpointMustExist: false,
    securityMode: MessageSecurityMode.None,
    securityPolicy: SecurityPolicy.None,
    connectionStrategy: { maxRetry: 3, initialDelay: 200, maxDelay: 1000 },
    clientCertificateManager: new OPCUACertificateManager({ rootFolder: path.join(pki, "client"), automaticallyAcceptUnknownCertificate: true }),
  });
  await client.connect(endpoint);
  const session = await client.createSession();
  const values = [];
  const units = {};
  for (const nodeId of nodeIds) {
    const dv = await session.read({ nodeId, attributeId: AttributeIds.Value });
    values.push({ nodeId, value: dv.value.value, status: dv.statusCode.name });
    const browse = await session.translateBrowsePath(makeBrowsePath(nodeId, ".EngineeringUnits"));
    if (browse.targets && browse.targets.length > 0) {
      const eu = await session.read({ nodeId: browse.targets[0].targetId, attributeId: AttributeIds.Value });
      if (eu.value.value) units[nodeId] = eu.value.value.displayName.text;
    }
  }
  await session.close();
  await client.disconnect();
  process.stdout.write(JSON.stringify({ values, units }) + "\n");
}

main().then(() => process.exit(0), (e) => {
  console.error(`FAILED ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
