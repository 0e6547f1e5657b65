"""Framing and crypto of profile gb-2008 against hand-written bytes and outside tools.

The frames below are written out byte by byte from the reference's §2 table; the AES and
MD5 vectors were produced with `openssl enc -aes-128-cbc -K … -iv … -nopad` and `md5sum`, not
with the code under test; the CRC is checked against the bitwise CRC of `rawclient.py`.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicwatt.platform import crypto
from civicwatt.platform.codec import Codec, Undecodable
from civicwatt.platform.frame import Frame, FrameDecoder, crc16_xmodem, encode_frame
from tests.civicwatt.platform.rawclient import bitwise_crc

KEY = b"0123456789ABCDEF"


def test_crc_check_value_is_0x31c3():
    assert crc16_xmodem(b"123456789") == 0x31C3
    assert bitwise_crc(b"123456789") == 0x31C3


@given(st.binary(max_size=300))
def test_crc_agrees_with_a_bitwise_implementation(data):
    assert crc16_xmodem(data) == bitwise_crc(data)


# header | L = 4 + M | instruction | payload | CRC over instruction + payload | tail
FRAME_A = bytes.fromhex("68681616" "08000000" "01000000" "3c612f3e" "1649" "55aa55aa")
FRAME_EMPTY = bytes.fromhex("68681616" "04000000" "02010000" "58da" "55aa55aa")


@pytest.mark.parametrize(("instruction", "payload", "frame"), [
    (1, b"<a/>", FRAME_A),
    (0x0102, b"", FRAME_EMPTY),
])
def test_encode_frame_gives_the_hand_written_bytes(instruction, payload, frame):
    assert encode_frame(instruction, payload) == frame
    body = frame[8:-6]
    assert int.from_bytes(frame[-6:-4], "little") == bitwise_crc(body)


def test_decoder_reads_hand_written_frames_split_anywhere_and_skips_junk():
    stream = b"\x00junk\x68\x68" + FRAME_A + b"\xff" + FRAME_EMPTY
    decoder = FrameDecoder()
    frames = []
    for byte in stream:  # one byte at a time, as a slow socket delivers it
        frames += decoder.feed(bytes([byte]))
    assert frames == [Frame(1, b"<a/>"), Frame(0x0102, b"")]
    assert decoder.dropped == 0


@pytest.mark.parametrize("broken", [
    FRAME_A[:-6] + b"\x00\x00" + FRAME_A[-4:],  # CRC wrong
    FRAME_A[:-4] + bytes.fromhex("55aa55ab"),  # tail wrong
    FRAME_A[:4] + bytes.fromhex("03000000") + FRAME_A[8:],  # L < 4
    FRAME_A[:4] + (2 << 20).to_bytes(4, "little") + FRAME_A[8:],  # L > 1 MiB
])
def test_a_bad_frame_is_dropped_and_the_next_good_one_still_read(broken):
    decoder = FrameDecoder()
    assert decoder.feed(broken + FRAME_EMPTY) == [Frame(0x0102, b"")]
    assert decoder.dropped >= 1


def test_a_frame_with_a_header_inside_its_payload_is_read_whole():
    payload = b"<x>" + bytes.fromhex("68681616") + b"</x>"
    assert FrameDecoder().feed(encode_frame(7, payload)) == [Frame(7, payload)]


def test_the_swapped_server3_variant_is_not_taken_for_a_frame():
    """server3 puts 55AA55AA first (reference §2); this profile must not half-read it."""
    swapped = bytes.fromhex("55aa55aa" "08000000" "01000000") + b"<a/>" + \
        bytes.fromhex("1649" "68681616")
    assert FrameDecoder().feed(swapped) == []


def test_aes_matches_openssl_with_iv_equal_to_the_key_and_zero_padding():
    assert crypto.encrypt(KEY, b"<root/>").hex() == "f5c6c9534850589f01cba968d67accb4"
    # aligned input: no padding block is added
    assert crypto.encrypt(KEY, b"0123456789abcdef").hex() == "b241d7578a3b5dfb6824d2eb09f1d6fa"


@pytest.mark.parametrize("padding", [b"", b"\x00" * 9, b"\x09" * 9, b" " * 9])
def test_decrypt_keeps_the_xml_whatever_the_padding(padding):
    xml = b"<root/>"
    padded = xml + padding + b"\x00" * (-(len(xml) + len(padding)) % 16)
    raw = crypto.encrypt(KEY, padded)  # already aligned: encrypt adds nothing
    assert crypto.decrypt(KEY, raw) == xml


@pytest.mark.parametrize("payload", [b"", b"\x01" * 15, b"\x01" * 17])
def test_decrypt_refuses_a_payload_that_is_not_whole_blocks(payload):
    with pytest.raises(crypto.CryptoError, match="multiple of 16"):
        crypto.decrypt(KEY, payload)


@pytest.mark.parametrize(("text", "key"), [
    ("0123456789ABCDEF", b"0123456789ABCDEF"),
    ("000102030405060708090a0b0c0d0e0f", bytes(range(16))),
])
def test_aes_keys_are_16_characters_or_32_hex_digits(text, key):
    assert crypto.parse_aes_key(text) == key


@pytest.mark.parametrize("text", ["0123456789ABCDE", "0123456789ABCDEFG", "密钥" * 8,
                                  "0123456789abcdef0123456789abcdeg"])
def test_other_aes_keys_are_refused(text):
    with pytest.raises(ValueError, match="16 ASCII characters or 32 hex digits"):
        crypto.parse_aes_key(text)


def test_md5_digest_in_both_orders_matches_md5sum():
    assert crypto.md5_digest("837261004512", "0123456789ABCDEF") == \
        "3663317827e99527320b06b759511959"
    assert crypto.md5_digest("837261004512", "0123456789ABCDEF", "key+seq") == \
        "77b2ec0cd75ef7fbf3fb5ad4c7ac65ee"


def test_codec_round_trip_encrypted_and_plain_and_auto_detection():
    xml = '<?xml version="1.0" encoding="utf-8"?><root><common><building_id>110101A001' \
          '</building_id><gateway_id>01</gateway_id><type>notify</type></common>' \
          '<heart_beat operation="notify"/></root>'
    for encrypt in (True, False):
        wire = Codec(KEY, encrypt).pack(xml)
        assert (b"<root>" in wire) is not encrypt
        receiver = Codec(KEY, None)  # follows the client
        [(instruction, message)] = receiver.unpack(wire)
        assert instruction == 1 and message.operation == "notify"
        assert receiver.encrypt is encrypt


def test_codec_reports_a_payload_under_the_wrong_key_as_undecodable():
    wire = Codec(KEY, True).pack("<root><common/><x operation='y'/></root>" * 3)
    [(_, message)] = Codec(b"FEDCBA9876543210", True).unpack(wire)
    assert isinstance(message, Undecodable)
    assert "expects AES" in message.reason


def test_instruction_numbers_count_up_and_replies_can_echo_one():
    codec = Codec(None, False)
    first, second = codec.pack("<a/>"), codec.pack("<a/>")
    assert first[8:12] == (1).to_bytes(4, "little") and second[8:12] == (2).to_bytes(4, "little")
    assert codec.pack("<a/>", instruction=41)[8:12] == (41).to_bytes(4, "little")
