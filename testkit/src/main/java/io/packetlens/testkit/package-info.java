/** JUnit support for packetlens's tests: {@link io.packetlens.testkit.KernelTest} for tests that need root and the kernel. */
package io.packetlens.testkit;
