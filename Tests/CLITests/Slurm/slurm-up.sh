#!/usr/bin/env bash
# Starts a one-node Slurm (slurmctld + slurmd + munged) on this machine, as root, without systemd
# (a munge key, a slurm.conf for this single node, then the daemons in the foreground's place). Prints "started" if it started daemons, "running" if a
# controller already answered; exits non-zero if Slurm is not installed or does not come up.
set -euo pipefail
[ -x /usr/sbin/slurmctld ] && [ -x /usr/sbin/munged ] || { echo "slurm-wlm and munge are not installed" >&2; exit 2; }
if sinfo -h -o %T 2>/dev/null | grep -qE 'idle|mix|alloc'; then echo running; exit 0; fi
NODE=$(hostname -s)
NODELINE=$(slurmd -C | head -1)
getent hosts "$NODE" >/dev/null || echo "127.0.0.1 $NODE" >> /etc/hosts
mkdir -p /run/slurm /var/lib/slurm/slurmctld /var/lib/slurm/slurmd /var/log/slurm /etc/slurm
chown slurm:slurm /run/slurm /var/lib/slurm/slurmctld /var/log/slurm
CONF=/etc/slurm/slurm.conf
# Never overwrite a configuration someone else wrote.
if [ ! -f "$CONF" ] || grep -q '^# written by backdoorlab' "$CONF"; then
cat > "$CONF" <<CONFEOF
# written by backdoorlab's tests (Tests/CLITests/Slurm/slurm-up.sh)
ClusterName=ci
SlurmctldHost=${NODE}
SlurmUser=slurm
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=/var/lib/slurm/slurmctld
SlurmdSpoolDir=/var/lib/slurm/slurmd
SlurmctldPidFile=/run/slurm/slurmctld.pid
SlurmdPidFile=/run/slurm/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
KillWait=10
${NODELINE} State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONFEOF
fi
mkdir -p /run/munge && chown munge:munge /run/munge
# The daemons must not inherit our output: whoever reads it would wait for them to exit.
pgrep -x munged >/dev/null || runuser -u munge -- /usr/sbin/munged </dev/null >/dev/null 2>&1
pgrep -x slurmctld >/dev/null || /usr/sbin/slurmctld </dev/null >/dev/null 2>&1
pgrep -x slurmd >/dev/null || /usr/sbin/slurmd </dev/null >/dev/null 2>&1
for i in $(seq 300); do
    sinfo -h -o %T 2>/dev/null | grep -qE 'idle|mix|alloc' && { echo started; exit 0; }
    sleep 0.1
done
echo "the Slurm node did not become idle; see /var/log/slurm/" >&2
exit 1
