// SPDX-License-Identifier: GPL-2.0
/*
 * hwinfo-check: asks a kernel with kernel-patches/ applied what
 * IOMMU_GET_HW_INFO says about one vfio-pci device, and checks it.
 *
 *   hwinfo-check /dev/vfio/devices/vfio0 0000:00:03.0
 *
 * - the default answer (no flags) and its data;
 * - for every type 1..4 asked for with IOMMU_HW_INFO_FLAG_INPUT_TYPE: the
 *   device's own type is answered with the same data, every other one is
 *   refused with EOPNOTSUPP;
 * - AMD (type 4): efr/efr2 equal sysfs <bdf>/iommu/amd-iommu/features
 *   ("efr:efr2"); Intel (type 1): cap/ecap equal intel-iommu/cap, ecap.
 *
 * Built static against the *patched* kernel's installed uapi headers
 * (make headers; gcc -static -isystem <tree>/usr/include), so it also checks
 * that those headers carry the mainline names and layout. Prints one line
 * per check and "hwinfo-check: PASS" or "hwinfo-check: FAIL (n)"; exit
 * status 0 only on PASS.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>

/* The mainline uAPI, value for value and byte for byte. */
_Static_assert(IOMMU_HW_INFO_FLAG_INPUT_TYPE == 1, "flag");
_Static_assert(IOMMU_HW_INFO_TYPE_DEFAULT == 0, "DEFAULT");
_Static_assert(IOMMU_HW_INFO_TYPE_INTEL_VTD == 1, "INTEL_VTD");
_Static_assert(IOMMU_HW_INFO_TYPE_ARM_SMMUV3 == 2, "ARM_SMMUV3");
_Static_assert(IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV == 3, "TEGRA241_CMDQV");
_Static_assert(IOMMU_HW_INFO_TYPE_AMD == 4, "AMD");
_Static_assert(sizeof(struct iommu_hw_info) == 40, "iommu_hw_info");
_Static_assert(offsetof(struct iommu_hw_info, in_data_type) == 24, "in");
_Static_assert(offsetof(struct iommu_hw_info, out_data_type) == 24, "out");
_Static_assert(sizeof(struct iommu_hw_info_amd) == 16, "amd");
_Static_assert(offsetof(struct iommu_hw_info_amd, efr2) == 8, "efr2");

static int failures;

static void check(int ok, const char *what)
{
	printf("hwinfo-check: %s: %s\n", ok ? "ok" : "FAILED", what);
	if (!ok)
		failures++;
}

/* Returns 0 or -errno; the data lands in @buf (zeroed first). */
static int get_hw_info(int iommufd, uint32_t dev_id, uint32_t flags,
		       uint32_t in_type, void *buf, size_t len,
		       struct iommu_hw_info *out)
{
	struct iommu_hw_info cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dev_id = dev_id,
		.data_len = len,
		.data_uptr = (uintptr_t)buf,
		.in_data_type = in_type,
	};

	memset(buf, 0, len);
	if (ioctl(iommufd, IOMMU_GET_HW_INFO, &cmd))
		return -errno;
	*out = cmd;
	return 0;
}

/*
 * Where sysfs shows the registers a type reports: AMD prints "efr:efr2" in
 * one file, Intel cap and ecap in one file each.
 */
static const struct {
	uint32_t type;
	const char *leaf[2];
	const char *name[2];
	size_t offset[2];
} sysfs_regs[] = {
	{ IOMMU_HW_INFO_TYPE_AMD, { "amd-iommu/features" }, { "efr", "efr2" },
	  { offsetof(struct iommu_hw_info_amd, efr),
	    offsetof(struct iommu_hw_info_amd, efr2) } },
	{ IOMMU_HW_INFO_TYPE_INTEL_VTD,
	  { "intel-iommu/cap", "intel-iommu/ecap" }, { "cap", "ecap" },
	  { offsetof(struct iommu_hw_info_vtd, cap_reg),
	    offsetof(struct iommu_hw_info_vtd, ecap_reg) } },
};

/* Appends the hex numbers of one sysfs file to @vals; returns how many. */
static int read_sysfs_hex(const char *bdf, const char *leaf,
			  unsigned long long *vals, int max)
{
	char path[256], text[128], *p = text, *end;
	ssize_t len;
	int fd, n = 0;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu/%s", bdf,
		 leaf);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	len = read(fd, text, sizeof(text) - 1);
	close(fd);
	text[len > 0 ? len : 0] = 0;
	while (n < max) {
		vals[n] = strtoull(p, &end, 16);
		if (end == p)
			break;
		n++;
		p = end + (*end == ':');
	}
	return n;
}

static void check_against_sysfs(const char *bdf, uint32_t type,
				const uint8_t *data)
{
	unsigned long long sysfs[2], got;
	char what[160];
	size_t i;
	int n, r;

	for (i = 0; i < sizeof(sysfs_regs) / sizeof(sysfs_regs[0]); i++) {
		if (sysfs_regs[i].type != type)
			continue;
		n = 0;
		for (r = 0; r < 2 && sysfs_regs[i].leaf[r]; r++)
			n += read_sysfs_hex(bdf, sysfs_regs[i].leaf[r],
					    sysfs + n, 2 - n);
		if (n != 2) {
			snprintf(what, sizeof(what), "read %s and %s from sysfs",
				 sysfs_regs[i].name[0], sysfs_regs[i].name[1]);
			check(0, what);
			return;
		}
		for (r = 0; r < 2; r++) {
			memcpy(&got, data + sysfs_regs[i].offset[r],
			       sizeof(got));
			snprintf(what, sizeof(what), "%s %llx equals sysfs %llx",
				 sysfs_regs[i].name[r], got, sysfs[r]);
			check(got == sysfs[r], what);
		}
	}
}

int main(int argc, char **argv)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	uint8_t def[64], req[64];
	struct iommu_hw_info info, rinfo;
	char what[160];
	int iommufd, devfd, rc;
	uint32_t t;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 3) {
		fprintf(stderr, "usage: %s /dev/vfio/devices/vfioN BDF\n",
			argv[0]);
		return 2;
	}
	iommufd = open("/dev/iommu", O_RDWR);
	devfd = open(argv[1], O_RDWR);
	if (iommufd < 0 || devfd < 0) {
		printf("hwinfo-check: cannot open /dev/iommu or %s: %s\n",
		       argv[1], strerror(errno));
		return 1;
	}
	bind.iommufd = iommufd;
	if (ioctl(devfd, VFIO_DEVICE_BIND_IOMMUFD, &bind)) {
		printf("hwinfo-check: VFIO_DEVICE_BIND_IOMMUFD: %s\n",
		       strerror(errno));
		return 1;
	}

	rc = get_hw_info(iommufd, bind.out_devid, 0, 0, def, sizeof(def),
			 &info);
	if (rc) {
		printf("hwinfo-check: GET_HW_INFO: %s\n", strerror(-rc));
		return 1;
	}
	printf("hwinfo-check: default: type %u data_len %u max_pasid_log2 %u capabilities %#llx\n",
	       info.out_data_type, info.data_len, info.out_max_pasid_log2,
	       (unsigned long long)info.out_capabilities);
	check(info.out_data_type != IOMMU_HW_INFO_TYPE_NONE,
	      "the driver reports a type");
	check_against_sysfs(argv[2], info.out_data_type, def);

	for (t = IOMMU_HW_INFO_TYPE_INTEL_VTD; t <= IOMMU_HW_INFO_TYPE_AMD; t++) {
		rc = get_hw_info(iommufd, bind.out_devid,
				 IOMMU_HW_INFO_FLAG_INPUT_TYPE, t, req,
				 sizeof(req), &rinfo);
		if (t == info.out_data_type) {
			snprintf(what, sizeof(what),
				 "requested type %u: answered, same type, length and data",
				 t);
			check(!rc && rinfo.out_data_type == t &&
			      rinfo.data_len == info.data_len &&
			      !memcmp(req, def, sizeof(req)), what);
		} else {
			snprintf(what, sizeof(what),
				 "requested type %u: refused with EOPNOTSUPP (got %s)",
				 t, rc ? strerror(-rc) : "success");
			check(rc == -EOPNOTSUPP, what);
		}
	}
	rc = get_hw_info(iommufd, bind.out_devid, 1u << 1, 0, req, sizeof(req),
			 &rinfo);
	check(rc == -EOPNOTSUPP, "unknown flag 1<<1: EOPNOTSUPP");

	close(devfd);
	close(iommufd);
	if (failures) {
		printf("hwinfo-check: FAIL (%d)\n", failures);
		return 1;
	}
	printf("hwinfo-check: PASS\n");
	return 0;
}
