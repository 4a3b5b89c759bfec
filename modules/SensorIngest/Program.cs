// The module host (twin configuration, polling, telemetry) lands with the module part of issue 4;
// this part ships the Modbus protocol client (Modbus/) that the module and `edgectl modbus` use.
return 0;
