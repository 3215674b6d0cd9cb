// Set-up of every tooling test file: a local control plane this test process starts, itself or
// through a `pipeline` child (which inherits the variable), stops when this process is gone,
// however it ended (see ensureLocalCloud's ownerPid). An interrupted `pipeline ci` then leaves
// no control plane and no workerd behind.
process.env.LOCAL_CLOUD_OWNER_PID = String(process.pid);
