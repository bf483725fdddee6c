"""Reference data and name lists for the demo workbooks (see demo.py and docs/demo-data.md).

Programs and organizations are fixed lists, so every demo year of an entity shares them;
only the orders (and revenue targets) depend on the year's random seed.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoProgram:
    code: str
    name: str
    unit: str
    price: int
    level: str  # SD / SMP / SMA: which students take it
    weight: int  # relative share of orders


@dataclass(frozen=True)
class DemoOrganization:
    name: str
    city: str
    kind: str  # Sekolah / Bimbel / Perusahaan
    level: str  # school level, "" for bimbel and companies (students of any level)


DEMO_PROGRAMS: list[DemoProgram] = [
    DemoProgram("TM-SD-REG", "Reguler SD Tatap Muka", "TM", 850_000, "SD", 14),
    DemoProgram("TM-SMP-REG", "Reguler SMP Tatap Muka", "TM", 1_100_000, "SMP", 16),
    DemoProgram("TM-SMA-REG", "Reguler SMA Tatap Muka", "TM", 1_350_000, "SMA", 15),
    DemoProgram("TM-SMA-INT", "Intensif UTBK SMA Tatap Muka", "TM", 2_500_000, "SMA", 9),
    DemoProgram("DR-SD-REG", "Reguler SD Daring", "DR", 600_000, "SD", 10),
    DemoProgram("DR-SMP-REG", "Reguler SMP Daring", "DR", 750_000, "SMP", 13),
    DemoProgram("DR-SMA-REG", "Reguler SMA Daring", "DR", 950_000, "SMA", 14),
    DemoProgram("DR-SMA-INT", "Intensif UTBK SMA Daring", "DR", 1_750_000, "SMA", 9),
]


def _words(text: str) -> list[str]:
    return text.split()


def _school(name: str, city: str) -> DemoOrganization:
    return DemoOrganization(name, city, "Sekolah", name.split()[0])


DEMO_ORGANIZATIONS: list[DemoOrganization] = [
    _school("SD Negeri 1 Bandung", "Bandung"),
    _school("SD Negeri 3 Cimahi", "Cimahi"),
    _school("SD Negeri 060 Medan", "Medan"),
    _school("SD Muhammadiyah 2 Yogyakarta", "Yogyakarta"),
    _school("SD Kristen Petra 5 Surabaya", "Surabaya"),
    _school("SD Islam Al Azhar 1 Jakarta", "Jakarta Selatan"),
    _school("SD Negeri Tebet Timur 01", "Jakarta Selatan"),
    _school("SD Santa Ursula Bekasi", "Bekasi"),
    _school("SMP Negeri 2 Bandung", "Bandung"),
    _school("SMP Negeri 5 Yogyakarta", "Yogyakarta"),
    _school("SMP Negeri 1 Semarang", "Semarang"),
    _school("SMP Negeri 12 Surabaya", "Surabaya"),
    _school("SMP Negeri 115 Jakarta", "Jakarta Selatan"),
    _school("SMP Labschool Kebayoran", "Jakarta Selatan"),
    _school("SMP Islam Terpadu Nurul Fikri", "Depok"),
    _school("SMP Katolik Santo Yoseph Denpasar", "Denpasar"),
    _school("SMP Negeri 4 Malang", "Malang"),
    _school("SMA Negeri 3 Bandung", "Bandung"),
    _school("SMA Negeri 8 Jakarta", "Jakarta Selatan"),
    _school("SMA Negeri 1 Yogyakarta", "Yogyakarta"),
    _school("SMA Negeri 3 Semarang", "Semarang"),
    _school("SMA Negeri 5 Surabaya", "Surabaya"),
    _school("SMA Negeri 1 Medan", "Medan"),
    _school("SMA Negeri 2 Makassar", "Makassar"),
    _school("SMA Kolese Gonzaga", "Jakarta Selatan"),
    _school("SMA Taruna Nusantara", "Magelang"),
    _school("SMA Negeri 1 Denpasar", "Denpasar"),
    _school("SMA Muhammadiyah 1 Palembang", "Palembang"),
    _school("SMA Negeri 4 Bogor", "Bogor"),
    DemoOrganization("Bimbel Cerdas Mandiri", "Bandung", "Bimbel", ""),
    DemoOrganization("Bimbel Prima Edukasi", "Bekasi", "Bimbel", ""),
    DemoOrganization("Bimbel Bintang Pelajar", "Surabaya", "Bimbel", ""),
    DemoOrganization("Lembaga Kursus Nurul Ilmi", "Makassar", "Bimbel", ""),
    DemoOrganization("Rumah Belajar Pelangi", "Malang", "Bimbel", ""),
    DemoOrganization("PT Sinar Mas Agro Resources", "Jakarta Pusat", "Perusahaan", ""),
    DemoOrganization("PT Telkom Indonesia", "Bandung", "Perusahaan", ""),
    DemoOrganization("PT Semen Gresik", "Gresik", "Perusahaan", ""),
    DemoOrganization("PT Bank Rakyat Indonesia", "Jakarta Pusat", "Perusahaan", ""),
    DemoOrganization("PT Pupuk Kaltim", "Bontang", "Perusahaan", ""),
    DemoOrganization("Koperasi Karyawan Pertamina", "Balikpapan", "Perusahaan", ""),
]

# Typed in the month sheets but missing from REFERENSI: a warning, created on publish.
UNLISTED_ORGANIZATIONS: list[DemoOrganization] = [
    _school("SMA Negeri 70 Jakarta", "Jakarta Selatan"),
    _school("SMP Negeri 9 Bekasi", "Bekasi"),
    DemoOrganization("Bimbel Sukses Bersama", "Depok", "Bimbel", ""),
    DemoOrganization("PT Astra Honda Motor", "Jakarta Utara", "Perusahaan", ""),
]

FIRST_NAMES = _words("""
Adi Aditya Agus Ahmad Aisyah Alya Amelia Andi Anisa Annisa Arief Arya Asep Ayu Bagas Bayu
Bima Budi Cahya Cindy Citra Dafa Dani Daffa Dea Dedi Desi Dewi Dian Dimas Dina Dinda Eka
Eko Elsa Endah Fadli Fajar Farhan Fauzan Febri Fikri Fitri Gilang Hana Hendra Hendro Ilham
Indah Indra Intan Irfan Joko Kadek Ketut Kevin Kurniawan Laras Lestari Lukman Made Maya
Muhammad Nabila Nadia Naufal Nia Novi Nur Nurul Oktavia Putra Putri Puspita Raka Rama Rani
Ratna Reza Rizki Rizky Rina Rudi Salsabila Sari Satria Sekar Sinta Siti Surya Syifa Taufik
Tiara Tri Umar Vina Wahyu Wayan Wulan Yoga Yogi Yudha Yuni Zahra Zaki
""")

LAST_NAMES = _words("""
Saputra Saputri Pratama Pratiwi Wijaya Kusuma Hidayat Nugroho Santoso Setiawan Susanto
Wibowo Gunawan Hakim Halim Harahap Hasibuan Lubis Nasution Siregar Simanjuntak Sitompul
Panjaitan Pangaribuan Sinaga Tambunan Situmorang Manurung Purba Ginting Tarigan Sembiring
Rahman Rahmawati Ramadhan Permana Permata Kurniasih Maharani Anggraini Lestari Handayani
Suryani Wulandari Putri Utami Firmansyah Syahputra Hutapea Marpaung Napitupulu Damanik
Sihombing Tanjung Effendi Hamzah Iskandar Lim Tanoto Salim Wirawan Hartono Sudirman
Prasetyo Prabowo Kartika Maulana Fadillah Rosyid Nurhaliza Cahyani Suharto Sutanto Budiman
Hermawan Irawan Kusnadi Mulyadi Sumarni Supriyadi Wahyudi Yulianti Batubara Pohan Rangkuti
""")

PAYMENT_METHODS = [
    "Transfer BCA",
    "Transfer Mandiri",
    "Transfer BRI",
    "Transfer BNI",
    "QRIS",
    "Virtual Account",
    "Tunai",
    "transfer bca",
    "TUNAI",
]

NOTES = [
    "adik dari siswa lama",
    "pindah jadwal ke sore",
    "cicilan via WA",
    "minta kwitansi",
    "promo kakak-adik",
    "pindahan dari cabang lain",
    "bayar di kasir",
    "konfirmasi ortu",
]

INDONESIAN_MONTHS = _words(
    "Januari Februari Maret April Mei Juni Juli Agustus September Oktober November Desember"
)

# Accepted sheet-name forms per month (docs/workbooks.md), from which each year picks one.
MONTH_SHEET_FORMS: dict[int, list[str]] = {
    1: ["JAN", "Januari", "January", "01"],
    2: ["FEB", "Februari", "February", "02"],
    3: ["MAR", "Maret", "March", "03"],
    4: ["APR", "April", "04"],
    5: ["MEI", "Mei", "May", "05"],
    6: ["JUN", "Juni", "JUNI", "June", "06"],
    7: ["JUL", "Juli", "July", "07"],
    8: ["AGU", "AGS", "AGT", "Agustus", "August", "08"],
    9: ["SEP", "September", "09"],
    10: ["OKT", "Oktober", "October", "10"],
    11: ["NOV", "November", "11"],
    12: ["DES", "Desember", "December", "12"],
}

# Per-month share of orders (sums to 12): slow in June (holiday), busy before UTBK season.
SEASON = [0.95, 1.0, 1.05, 1.0, 0.95, 0.8, 1.1, 1.15, 1.05, 1.0, 1.0, 0.95]
