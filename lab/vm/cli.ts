// node --import tsx lab/vm/cli.ts <command>: the lab's qemu VM by hand (see lab/README.md, "The VM").
import { spawnSync } from 'node:child_process';
import { LabError } from '../lab.ts';
import { ensureVmImage } from './image.ts';
import { readVm, sshArgs, startVm, stopVm } from './vm.ts';

const usage = `usage: node --import tsx lab/vm/cli.ts <command>
  build                 build the VM image unless the cached one is current ($LAB_DIR/vm/image)
  start [NAME]          boot a fresh instance (default name: vm); prints its port and an ssh command
  stop [NAME]           power it off (kill after 60 s) and delete its overlay
  ssh [NAME] [CMD...]   root ssh into it (lab key, strict known_hosts)`;

async function main([cmd, ...args]: string[]): Promise<number> {
  switch (cmd) {
    case 'build': {
      const img = await ensureVmImage();
      console.log(img.built ? `VM image built in ${img.buildSec.toFixed(1)} s` : 'VM image up to date');
      return 0;
    }
    case 'start': {
      const vm = await startVm({ name: args[0] });
      console.log(`${vm.name} up in ${vm.bootSec.toFixed(1)} s: boot id ${vm.bootId}, qemu pid ${vm.pid}, serial ${vm.serialLog}`);
      console.log(`ssh ${sshArgs(vm).join(' ')}`);
      return 0;
    }
    case 'stop': {
      const vm = readVm(args[0]);
      if (!vm) throw new LabError(`no VM instance ${args[0] ?? 'vm'}`);
      const r = await stopVm(vm);
      console.log(`${vm.name}: ${r.how} (${r.sec.toFixed(1)} s)`);
      return 0;
    }
    case 'ssh': {
      const vm = readVm(args[0]);
      if (!vm) throw new LabError(`no VM instance ${args[0] ?? 'vm'}`);
      return spawnSync('ssh', [...sshArgs(vm), ...args.slice(1)], { stdio: 'inherit' }).status ?? 1;
    }
    default:
      console.log(usage);
      return cmd ? 2 : 0;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof LabError ? `lab vm: ${e.message}` : e);
    process.exit(1);
  },
);
