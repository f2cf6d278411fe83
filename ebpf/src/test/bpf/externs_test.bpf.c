// Externs resolved at load: __kconfig values from the kernel's configuration (bool, tristate,
// int, string, LINUX_KERNEL_VERSION, a weak option no kernel has), a kfunc pair
// (bpf_task_from_pid / bpf_task_release) called from a SYSCALL program, a weak kfunc no kernel
// has behind bpf_ksym_exists() and one that exists, and an untyped __ksym (the address of
// __x64_sys_getpid: this kernel's kallsyms lists no data symbols, so typed data ksyms such as
// bpf_prog_active cannot resolve here). The program writes what it saw into .bss.
#include <linux/bpf.h>
#include <stdbool.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

#ifndef bpf_ksym_exists
#define bpf_ksym_exists(sym) (!!(sym))
#endif

struct task_struct {
    int tgid;
} __attribute__((preserve_access_index));

extern unsigned int LINUX_KERNEL_VERSION __kconfig;
extern bool CONFIG_BPF_SYSCALL __kconfig;
extern enum libbpf_tristate CONFIG_BPF_LSM __kconfig;
extern enum libbpf_tristate CONFIG_NET_SCH_INGRESS __kconfig __weak;
extern int CONFIG_HZ __kconfig;
extern char CONFIG_DEFAULT_HOSTNAME[16] __kconfig __weak;
extern bool CONFIG_PL_NO_SUCH_OPTION __kconfig __weak;
/* libbpf's own values, _Bool as its headers declare them (bpf_tracing.h's BPF_KSYSCALL, usdt.bpf.h) */
extern _Bool LINUX_HAS_SYSCALL_WRAPPER __kconfig;
extern _Bool LINUX_HAS_BPF_COOKIE __kconfig;

extern struct task_struct *bpf_task_from_pid(int pid) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;
extern void bpf_pl_no_such_kfunc(void) __ksym __weak;
extern const void __x64_sys_getpid __ksym;

__u32 kernel_version = 0;
__u32 bpf_syscall = 0;
__u32 bpf_lsm = 0;
__u32 sch_ingress = 0;
__s32 hz = 0;
char hostname[16] = {};
__u32 no_such_option = 7;
__s32 found_tgid = -1;
__u32 no_such_kfunc = 7;
__u32 task_from_pid_exists = 7;
__u64 getpid_addr = 0;
__u32 has_syscall_wrapper = 7;
__u32 has_bpf_cookie = 7;

struct args {
    int pid;
};

SEC("syscall")
int read_externs(struct args *a)
{
    kernel_version = LINUX_KERNEL_VERSION;
    bpf_syscall = CONFIG_BPF_SYSCALL;
    bpf_lsm = CONFIG_BPF_LSM;
    sch_ingress = CONFIG_NET_SCH_INGRESS;
    hz = CONFIG_HZ;
    __builtin_memcpy(hostname, CONFIG_DEFAULT_HOSTNAME, sizeof(hostname));
    no_such_option = CONFIG_PL_NO_SUCH_OPTION;

    struct task_struct *t = bpf_task_from_pid(a->pid);
    if (t) {
        found_tgid = t->tgid;
        bpf_task_release(t);
    }
    no_such_kfunc = bpf_ksym_exists(bpf_pl_no_such_kfunc);
    if (no_such_kfunc)
        bpf_pl_no_such_kfunc();
    task_from_pid_exists = bpf_ksym_exists(bpf_task_from_pid);
    getpid_addr = (__u64)&__x64_sys_getpid;
    has_syscall_wrapper = LINUX_HAS_SYSCALL_WRAPPER;
    has_bpf_cookie = LINUX_HAS_BPF_COOKIE;
    return 0;
}
