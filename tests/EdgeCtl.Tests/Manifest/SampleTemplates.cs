using System.Text.Json.Nodes;

namespace EdgeCtl.Tests.Manifest;

/// <summary>Templates shaped like iotedgedev's generated solution (deployment.template.json / deployment.debug.template.json).</summary>
internal static class SampleTemplates
{
    public const string IotEdgeDevDotEnv = """
        #
        # CONTAINER REGISTRY
        #
            # Settings for your default container registry.
        CONTAINER_REGISTRY_SERVER="localhost:5000"
        CONTAINER_REGISTRY_USERNAME="user"
        CONTAINER_REGISTRY_PASSWORD='p@ss#word'

        CONTAINER_TAG=""
        EDGE_RUNTIME_VERSION="1.5"
        EDGEAGENT_SCHEMA_VERSION="1.1"
        EDGEHUB_SCHEMA_VERSION="1.2"
        DEFAULT_PLATFORM="amd64"
        """;

    /// <summary>iotedgedev's template after `iotedgedev solution new` with a C# module named SampleModule.</summary>
    public static string IotEdgeDev(string sampleImage = "${MODULES.SampleModule}") => $$"""
        {
          "$schema-template": "4.0.0",
          "modulesContent": {
            "$edgeAgent": {
              "properties.desired": {
                "schemaVersion": "${EDGEAGENT_SCHEMA_VERSION}",
                "runtime": {
                  "type": "docker",
                  "settings": {
                    "minDockerVersion": "v1.25",
                    "loggingOptions": "",
                    "registryCredentials": {
                      "myregistry": {
                        "username": "${CONTAINER_REGISTRY_USERNAME}",
                        "password": "${CONTAINER_REGISTRY_PASSWORD}",
                        "address": "${CONTAINER_REGISTRY_SERVER}"
                      }
                    }
                  }
                },
                "systemModules": {
                  "edgeAgent": {
                    "type": "docker",
                    "settings": { "image": "mcr.microsoft.com/azureiotedge-agent:${EDGE_RUNTIME_VERSION}", "createOptions": {} }
                  },
                  "edgeHub": {
                    "type": "docker",
                    "status": "running",
                    "restartPolicy": "always",
                    "settings": {
                      "image": "mcr.microsoft.com/azureiotedge-hub:${EDGE_RUNTIME_VERSION}",
                      "createOptions": { "HostConfig": { "PortBindings": { "5671/tcp": [ { "HostPort": "5671" } ], "8883/tcp": [ { "HostPort": "8883" } ], "443/tcp": [ { "HostPort": "443" } ] } } }
                    }
                  }
                },
                "modules": {
                  "SampleModule": {
                    "version": "1.0",
                    "type": "docker",
                    "status": "running",
                    "restartPolicy": "always",
                    "settings": { "image": "{{sampleImage}}", "createOptions": {} }
                  },
                  "SimulatedTemperatureSensor": {
                    "version": "1.0",
                    "type": "docker",
                    "status": "running",
                    "restartPolicy": "always",
                    "settings": { "image": "mcr.microsoft.com/azureiotedge-simulated-temperature-sensor:1.0", "createOptions": {} }
                  }
                }
              }
            },
            "$edgeHub": {
              "properties.desired": {
                "schemaVersion": "${EDGEHUB_SCHEMA_VERSION}",
                "routes": {
                  "SampleModuleToIoTHub": "FROM /messages/modules/SampleModule/outputs/* INTO $upstream",
                  "sensorToSampleModule": "FROM /messages/modules/SimulatedTemperatureSensor/outputs/temperatureOutput INTO BrokeredEndpoint(\"/modules/SampleModule/inputs/input1\")"
                },
                "storeAndForwardConfiguration": { "timeToLiveSecs": 7200 }
              }
            },
            "SimulatedTemperatureSensor": {
              "properties.desired": { "SendData": true, "SendInterval": 5 }
            }
          }
        }
        """;

    /// <summary>A small clean template with literal images (no module folders needed); tests mutate it per rule.</summary>
    public static JsonObject Minimal() => JsonNode.Parse("""
        {
          "$schema-template": "4.0.0",
          "modulesContent": {
            "$edgeAgent": {
              "properties.desired": {
                "schemaVersion": "1.1",
                "runtime": { "type": "docker", "settings": { "minDockerVersion": "v1.25", "loggingOptions": "", "registryCredentials": {} } },
                "systemModules": {
                  "edgeAgent": { "type": "docker", "settings": { "image": "mcr.microsoft.com/azureiotedge-agent:1.5", "createOptions": {} } },
                  "edgeHub": { "type": "docker", "status": "running", "restartPolicy": "always", "settings": { "image": "mcr.microsoft.com/azureiotedge-hub:1.5", "createOptions": {} } }
                },
                "modules": {
                  "producer": { "version": "1.0", "type": "docker", "status": "running", "restartPolicy": "always", "settings": { "image": "example.azurecr.io/producer:1.0-amd64", "createOptions": {} } },
                  "consumer": { "version": "1.0", "type": "docker", "status": "running", "restartPolicy": "on-failure", "startupOrder": 2, "settings": { "image": "example.azurecr.io/consumer:1.0-amd64", "createOptions": {} } }
                }
              }
            },
            "$edgeHub": {
              "properties.desired": {
                "schemaVersion": "1.2",
                "routes": {
                  "toConsumer": "FROM /messages/modules/producer/outputs/data INTO BrokeredEndpoint(\"/modules/consumer/inputs/data\")",
                  "upstream": { "route": "FROM /messages/modules/consumer/outputs/* INTO $upstream", "priority": 0, "timeToLiveSecs": 3600 }
                },
                "storeAndForwardConfiguration": { "timeToLiveSecs": 7200 }
              }
            }
          }
        }
        """)!.AsObject();

    public static JsonObject AgentDesired(JsonObject template) => template["modulesContent"]!["$edgeAgent"]!["properties.desired"]!.AsObject();

    public static JsonObject HubDesired(JsonObject template) => template["modulesContent"]!["$edgeHub"]!["properties.desired"]!.AsObject();

    public static JsonObject Module(JsonObject template, string name) => AgentDesired(template)["modules"]![name]!.AsObject();

    public static JsonObject Routes(JsonObject template) => HubDesired(template)["routes"]!.AsObject();
}
