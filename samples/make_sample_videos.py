#!/usr/bin/env python3
"""Writes the two short sample videos the sample cameras file (samples/cameras.yaml) plays.

ShapesWorld scenes, as the shipped pack (models/shapes) sees them: flat coloured shapes on grey.
  shapes_walk.mp4  - a red circle walks left to right while a blue square walks right to left (they cross mid-way).
  shapes_lane.mp4  - a green square and an orange circle go down and up a lane, passing a counting line.
320x240, 10 fps, 6 s, MPEG-4 Part 2 (mp4v): a few hundred KB each. Run: /usr/bin/python3 samples/make_sample_videos.py
"""
import os
import cv2
import numpy as np

W, H, FPS, FRAMES = 320, 240, 10, 60
HERE = os.path.dirname(os.path.abspath(__file__))


def write(name, draw):
    out = cv2.VideoWriter(os.path.join(HERE, name), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (W, H))
    for i in range(FRAMES):
        img = np.full((H, W, 3), 128, np.uint8)
        draw(img, i / (FRAMES - 1))
        out.write(img)
    out.release()


def walk(img, t):
    cx = int(30 + t * (W - 60))
    cv2.circle(img, (cx, 90), 28, (40, 40, 220), -1, cv2.LINE_AA)  # red circle (BGR)
    sx = int(W - 30 - t * (W - 60))
    cv2.rectangle(img, (sx - 28, 150), (sx + 28, 206), (225, 70, 40), -1)  # blue square


def lane(img, t):
    gy = int(20 + t * (H - 40))
    cv2.rectangle(img, (70, gy - 25), (120, gy + 25), (60, 180, 60), -1)  # green square
    oy = int(H - 20 - t * (H - 40))
    cv2.circle(img, (230, oy), 25, (30, 140, 240), -1, cv2.LINE_AA)  # orange circle


if __name__ == "__main__":
    write("shapes_walk.mp4", walk)
    write("shapes_lane.mp4", lane)
