import ArgumentParser
import Backprop
