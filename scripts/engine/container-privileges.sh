# shellcheck shell=bash
# How to give the engine container the privileges it needs. Sourced by engine-container.sh.
#
# --privileged asks Docker for every capability, and runc fails ("unable to apply caps:
# operation not permitted") where the daemon's own bounding set lacks one, as in sandboxes
# that withhold CAP_SYS_RESOURCE. There, on cgroup v1, the engine gets what --privileged
# would give it except the missing capabilities: all other capabilities, no seccomp or
# AppArmor profile, unmasked /proc, every device, and the cgroup hierarchies writable (runc in
# the engine creates a cgroup per container).

CAP_NAMES=(CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP
  LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE
  SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME
  SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG
  WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF CHECKPOINT_RESTORE)

# Capabilities of the full set missing from this process's bounding set (dockerd's is the same
# unless it was started elsewhere; the probe below is what decides).
missing_capabilities() {
  local bnd last i
  bnd=$((16#$(awk '/^CapBnd/ {print $2}' /proc/self/status)))
  last="$(cat /proc/sys/kernel/cap_last_cap)"
  for ((i = 0; i <= last && i < ${#CAP_NAMES[@]}; i++)); do
    (((bnd >> i) & 1)) || echo "${CAP_NAMES[$i]}"
  done
}

# privilege_flags IMAGE: prints docker run flags, one per line.
privilege_flags() {
  local image="$1" probe cap
  if probe="$(docker run --rm --privileged --entrypoint /bin/true "$image" 2>&1)"; then
    echo --privileged
    return 0
  fi
  if [[ "$probe" != *"unable to apply caps"* ]]; then
    echo "docker cannot run a privileged container: $probe" >&2
    return 1
  fi
  if [[ "$(docker info -f '{{.CgroupVersion}}')" != 1 ]]; then
    echo "docker cannot grant every capability (--privileged fails) and cgroups are v2: no fallback for that" >&2
    return 1
  fi
  echo "--privileged fails here (missing capabilities: $(missing_capabilities | tr '\n' ' ')); granting the rest" >&2
  echo --cap-add=ALL
  while read -r cap; do echo "--cap-drop=$cap"; done < <(missing_capabilities)
  printf '%s\n' --security-opt=seccomp=unconfined --security-opt=apparmor=unconfined \
    --security-opt=systempaths=unconfined "--device-cgroup-rule=a *:* rwm" \
    --cgroupns=host --volume=/sys/fs/cgroup:/sys/fs/cgroup:rw
}
