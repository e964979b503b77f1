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

static int read_sysfs(const char *bdf, const char *leaf, char *buf,
		      size_t len)
{
	char path[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu/%s", bdf,
		 leaf);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return 0;
}

static void check_against_sysfs(const char *bdf, uint32_t type,
				const uint8_t *data)
{
	unsigned long long a = 0, b = 0;
	char text[128], what[256];

	if (type == IOMMU_HW_INFO_TYPE_AMD) {
		const struct iommu_hw_info_amd *amd = (const void *)data;

		if (read_sysfs(bdf, "amd-iommu/features", text, sizeof(text)) ||
		    sscanf(text, "%llx:%llx", &a, &b) != 2) {
			check(0, "read sysfs amd-iommu/features as efr:efr2");
			return;
		}
		snprintf(what, sizeof(what),
			 "efr %llx efr2 %llx equal sysfs features %llx:%llx",
			 (unsigned long long)amd->efr,
			 (unsigned long long)amd->efr2, a, b);
		check(amd->efr == a && amd->efr2 == b, what);
	} else if (type == IOMMU_HW_INFO_TYPE_INTEL_VTD) {
		const struct iommu_hw_info_vtd *vtd = (const void *)data;

		if (read_sysfs(bdf, "intel-iommu/cap", text, sizeof(text)) ||
		    sscanf(text, "%llx", &a) != 1 ||
		    read_sysfs(bdf, "intel-iommu/ecap", text, sizeof(text)) ||
		    sscanf(text, "%llx", &b) != 1) {
			check(0, "read sysfs intel-iommu/cap and ecap");
			return;
		}
		snprintf(what, sizeof(what),
			 "cap %llx ecap %llx equal sysfs %llx %llx",
			 (unsigned long long)vtd->cap_reg,
			 (unsigned long long)vtd->ecap_reg, a, b);
		check(vtd->cap_reg == a && vtd->ecap_reg == b, what);
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
